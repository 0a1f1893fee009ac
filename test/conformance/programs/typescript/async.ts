async function main({ n }: { n: number }): Promise<[number, null]> {
  await new Promise<void>((resolve) => setTimeout(resolve, 10));
  return [n, null];
}
