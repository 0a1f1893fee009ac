# corpus: attack class=process form=targeted
# matplotlib's test helper runs programs.
from matplotlib.testing import subprocess_run_for_testing


def main():
    proc = subprocess_run_for_testing(["id"], capture_output=True, text=True)
    return {"out": proc.stdout}
