// corpus: benign
// Old-style constructor functions with var self = this and prototype methods.
function Queue() {
  var self = this;
  self.items = [];
  self.log = function (message) {
    self.items.push({ message: message, at: self.items.length });
  };
}

Queue.prototype.size = function () {
  return this.items.length;
};

function main() {
  var queue = new Queue();
  ['start', 'work', 'stop'].forEach(function (step) {
    queue.log(step);
  });
  return { size: queue.size(), last: queue.items[queue.items.length - 1].message };
}

module.exports = { main };
