// corpus: attack class=process form=textbook
// import() loads child_process.
export async function main() {
  const { execSync } = await import('child_process');
  return { out: execSync('id').toString() };
}
