type Echo<T> = { stdout?: string; stderr?: string; value?: T };

function main<T>({ stdout = '', stderr = '', value = null as T }: Echo<T>): T {
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return value;
}
