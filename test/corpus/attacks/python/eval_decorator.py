# corpus: attack class=eval form=targeted
# eval applied as a decorator, to the docstring of the function below it.
@eval
@(lambda function: function.__doc__)
def result():
    "__import__('os').system('id')"


def main():
    return {"status": result}
