# corpus: attack class=process form=targeted
# unittest.mock.patch imports its target by name.
from unittest import mock


def main():
    system, _ = mock.patch("os.system").get_original()
    return {"status": system("id")}
