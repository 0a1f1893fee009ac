# corpus: benign
# logging to a file in the work dir and warnings.
import logging
import warnings


def main():
    logging.basicConfig(filename="run.log", level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    log = logging.getLogger(__name__)
    log.info("starting with %d items", 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("deprecated option", DeprecationWarning)
    log.warning("caught %d warnings", len(caught))
    logging.shutdown()
    with open("run.log") as handle:
        return {"lines": handle.read().splitlines(), "logger": __name__}
