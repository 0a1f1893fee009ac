// corpus: attack class=eval form=targeted
// import() of a data: URL runs a source string as a module.
export async function main() {
  const source = "import { execSync } from 'node:child_process'; export default execSync('id').toString();";
  const loaded = await import(`data:text/javascript,${encodeURIComponent(source)}`);
  return { out: loaded.default };
}
