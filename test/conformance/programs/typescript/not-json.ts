function main(): { n: bigint } {
  return { n: 10n };
}
