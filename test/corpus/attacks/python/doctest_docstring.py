# corpus: attack class=eval form=targeted
# doctest executes the examples of a docstring.
import doctest


def carrier():
    """
    >>> __import__('os').system('id')
    0
    """


def main():
    doctest.run_docstring_examples(carrier, {})
    return {"done": True}
