function main({ code }: { code: number }): never {
  process.exit(code);
}
