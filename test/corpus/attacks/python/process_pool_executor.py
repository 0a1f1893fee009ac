# corpus: attack class=process form=targeted
# concurrent.futures starts worker processes, which run os.system.
import os
from concurrent.futures import ProcessPoolExecutor


def main():
    with ProcessPoolExecutor(max_workers=1) as pool:
        return {"status": pool.submit(os.system, "id").result()}
