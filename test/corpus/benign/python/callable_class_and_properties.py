# corpus: benign
# A callable class, class methods, static methods and setters.
class Temperature:
    def __init__(self, celsius=0.0):
        self._celsius = celsius

    @property
    def celsius(self):
        return self._celsius

    @celsius.setter
    def celsius(self, value):
        if value < -273.15:
            raise ValueError("below absolute zero")
        self._celsius = value

    @property
    def fahrenheit(self):
        return self._celsius * 9 / 5 + 32

    @classmethod
    def from_fahrenheit(cls, value):
        return cls((value - 32) * 5 / 9)

    @staticmethod
    def describe(value):
        return "hot" if value > 30 else "mild"


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, value):
        return value * self.factor


def main():
    t = Temperature.from_fahrenheit(212)
    t.celsius = 25
    double = Scaler(2)
    return {"c": t.celsius, "f": t.fahrenheit, "label": Temperature.describe(t.celsius), "doubled": list(map(double, [1, 2, 3]))}
