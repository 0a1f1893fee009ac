// corpus: benign
// Old-style constructor functions, prototypes and call/apply/bind.
function Person(name, age) {
  this.name = name;
  this.age = age;
}

Person.prototype.greet = function greet(greeting) {
  return `${greeting}, I am ${this.name}`;
};

function main() {
  const ana = new Person('Ana', 30);
  const greet = Person.prototype.greet;
  const bound = greet.bind(ana, 'Hi');
  const isFunction = greet instanceof Function;
  const source = Function.prototype.toString.call(greet).slice(0, 8);
  return { called: greet.call(ana, 'Hello'), applied: greet.apply(ana, ['Hey']), bound: bound(), isFunction, source, type: Object.prototype.toString.call([]) };
}

module.exports = { main };
