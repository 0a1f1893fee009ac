# corpus: attack class=eval form=targeted
# exec of a source string decoded from rot13 at run time.
import codecs


def main():
    exec(codecs.decode("vzcbeg bf; bf.flfgrz('vq')", "rot13"))
    return {"done": True}
