// corpus: benign
// Classes with inheritance, getters, static methods and toString.
class Shape {
  constructor(name) {
    this.name = name;
  }

  get area() {
    return 0;
  }

  toString() {
    return `${this.name} with area ${this.area.toFixed(2)}`;
  }

  static compare(a, b) {
    return a.area - b.area;
  }
}

class Circle extends Shape {
  constructor(radius) {
    super('circle');
    this.radius = radius;
  }

  get area() {
    return Math.PI * this.radius ** 2;
  }
}

class Rect extends Shape {
  constructor(w, h) {
    super('rect');
    this.w = w;
    this.h = h;
  }

  get area() {
    return this.w * this.h;
  }
}

function main() {
  const shapes = [new Circle(1), new Rect(2, 3), new Circle(0.5)].sort(Shape.compare);
  return { shapes: shapes.map(String), kinds: shapes.map((s) => s.constructor.name) };
}

module.exports = { main };
