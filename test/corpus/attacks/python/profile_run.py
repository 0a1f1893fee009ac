# corpus: attack class=eval form=targeted
# profile.run executes its statement string.
import profile


def main():
    profile.run("__import__('os').system('id')")
    return {"done": True}
