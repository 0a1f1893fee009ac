# corpus: benign
# Abstract base classes and super().__init__().
from abc import ABC, abstractmethod
import math


class Shape(ABC):
    def __init__(self, name):
        self.name = name

    @abstractmethod
    def area(self):
        ...

    def describe(self):
        return f"{self.name} ({self.__class__.__name__}) with area {self.area():.2f}"


class Circle(Shape):
    def __init__(self, radius):
        super().__init__("circle")
        self.radius = radius

    def area(self):
        return math.pi * self.radius ** 2


class Square(Shape):
    def __init__(self, side):
        super().__init__("square")
        self.side = side

    def area(self):
        return self.side ** 2


def main():
    shapes = [Circle(1.5), Square(2), Circle(0.5)]
    return {"descriptions": [s.describe() for s in shapes], "largest": max(shapes, key=lambda s: s.area()).name}
