function main(): never {
  throw new Error('boom');
}
