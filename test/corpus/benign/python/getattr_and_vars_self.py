# corpus: benign
# getattr with constant names and vars(self) in a config object.
class Config:
    defaults = {"epochs": 10, "batch_size": 32}

    def __init__(self, **overrides):
        for key, value in {**self.defaults, **overrides}.items():
            setattr(self, key, value)

    def as_dict(self):
        return dict(vars(self))

    def describe(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def main():
    config = Config(epochs=3)
    learning_rate = getattr(config, "learning_rate", 0.01)
    has_batch = hasattr(config, "batch_size")
    return {"config": config.as_dict(), "lr": learning_rate, "has_batch": has_batch, "describe": config.describe()}
