# corpus: attack class=eval form=targeted
# trace runs a source string.
import trace


def main():
    trace.Trace(count=False, trace=False).runctx("__import__('os').system('id')", {}, {})
    return {"done": True}
