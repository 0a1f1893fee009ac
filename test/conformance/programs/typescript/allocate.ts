interface Allocation {
  mib: number;
  sleep?: boolean;
}

// Touches every page, so the memory is resident, not merely reserved.
export function main({ mib, sleep = false }: Allocation): boolean {
  const data: Buffer = Buffer.alloc(mib * 2 ** 20).fill(1);
  process.stdout.write('allocated\n');
  if (sleep) setInterval(() => {}, 1000);
  return data.length > 0;
}
