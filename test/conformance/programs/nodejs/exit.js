function main({ code }) {
  process.exit(code);
}
