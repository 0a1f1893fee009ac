function main({ token }) {
  const leaked =
    Object.values(process.env).some((v) => v.includes(token)) || process.argv.some((a) => a.includes(token));
  return { leaked, cwd: process.cwd() };
}
