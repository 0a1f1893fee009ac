# corpus: attack class=deserialise form=textbook
# marshal loads a code object, which exec runs.
import marshal


def main():
    blob = marshal.dumps(compile("__import__('os').system('id')", "<m>", "exec"))
    exec(marshal.loads(blob))
    return {"done": True}
