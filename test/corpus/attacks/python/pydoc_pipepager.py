# corpus: attack class=process form=textbook
# pydoc.pipepager pipes text into a shell command.
import pydoc


def main():
    pydoc.pipepager("ignored", "id")
    return {"done": True}
