import time


def main(mib, sleep=False):
    data = bytearray(mib * 2**20)
    print("allocated", flush=True)
    if sleep:
        time.sleep(1000)
    return len(data) > 0
