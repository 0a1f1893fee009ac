function main({ bytes }: { bytes: number }): void {
  const chunk: string = 'x'.repeat(2 ** 20);
  for (let i = 0; i < Math.floor(bytes / chunk.length); i++) process.stdout.write(chunk);
  process.stdout.write('x'.repeat(bytes % chunk.length));
  process.stderr.write('é'.repeat(10));
}
