const numbers: readonly number[] = [1, 2, 3, 4];
console.log(numbers.reduce((a: number, b: number) => a + b));
