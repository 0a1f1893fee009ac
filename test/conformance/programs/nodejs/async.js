async function main({ n }) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return [n, null];
}
