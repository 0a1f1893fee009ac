// corpus: attack class=native form=textbook
// process.dlopen loads a native library (the error proves libc was loaded).
function main() {
  const target = { exports: {} };
  try {
    process.dlopen(target, '/lib/x86_64-linux-gnu/libc.so.6');
  } catch (error) {
    return { loaded: error.message };
  }
  return { loaded: true };
}

module.exports = { main };
