console.log([1, 2, 3, 4].reduce((a, b) => a + b));
