function main() {
  return { n: 10n };
}
