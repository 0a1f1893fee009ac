// Reads the KEY=value files the shell scripts source (hack/versions.env, hack/local-cluster.env), so a
// fact both shell and TypeScript need is written once. Pure parsing; no command substitution, no quoting.

/** The keys of an env file: comments and blank lines skipped, `$KEY` / `${KEY}` of earlier keys expanded. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(line);
    if (!m) throw new Error(`line ${index + 1}: expected KEY=value, got ${JSON.stringify(raw)}`);
    env[m[1] as string] = (m[2] as string).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined) throw new Error(`line ${index + 1}: $${name} is not set above`);
      return value;
    });
  }
  return env;
}
