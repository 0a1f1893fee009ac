// Touches every page, so the memory is resident, not merely reserved.
function main({ mib, sleep = false }) {
  const data = Buffer.alloc(mib * 2 ** 20).fill(1);
  process.stdout.write('allocated\n');
  if (sleep) setInterval(() => {}, 1000);
  return data.length > 0;
}
