export function main({ token }: { token: string }): { leaked: boolean; cwd: string } {
  const leaked =
    Object.values(process.env).some((v) => v?.includes(token)) ||
    process.argv.some((a: string) => a.includes(token));
  return { leaked, cwd: process.cwd() };
}
