// corpus: benign
// A linked list class with iteration and static factory.
class Node {
  constructor(value, next = null) {
    this.value = value;
    this.next = next;
  }
}

class LinkedList {
  constructor() {
    this.head = null;
    this.length = 0;
  }

  static from(values) {
    const list = new LinkedList();
    for (const v of [...values].reverse()) list.prepend(v);
    return list;
  }

  prepend(value) {
    this.head = new Node(value, this.head);
    this.length++;
    return this;
  }

  reverse() {
    let prev = null;
    let node = this.head;
    while (node) [node.next, prev, node] = [prev, node, node.next];
    this.head = prev;
    return this;
  }

  *[Symbol.iterator]() {
    for (let node = this.head; node; node = node.next) yield node.value;
  }
}

function main() {
  const list = LinkedList.from([1, 2, 3, 4]);
  return { forward: [...list], reversed: [...list.reverse()], length: list.length };
}

module.exports = { main };
