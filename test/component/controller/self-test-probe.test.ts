// The isolation self-test's probe (src/controller/self-test.ts) under the real Python runner on the host's
// python3, so its output is what the judge expects.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checksOf, probeSpec } from '../../../src/controller/self-test.ts';
import { buildJob, encodeJobLine, parseRunnerOutput } from '../../../src/runtimes/protocol.ts';

const REPO = join(import.meta.dirname, '../../..');

test('the probe runs under the Python runner and every part of it reports (here on the host, not gVisor)', async () => {
  // A closed loopback port: the probe's connect is refused, so no-network holds even on the host.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const workdir = mkdtempSync(join(tmpdir(), 'coderun-self-test-'));
  try {
    const job = buildJob(probeSpec([{ host: '127.0.0.1', port }]), 30, 65_536, 60);
    const run = spawnSync('python3', ['-I', '-B', 'sandbox_base_image/python/runner.py'], {
      cwd: REPO,
      input: encodeJobLine(job),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CODERUN_WORKDIR: workdir, TMPDIR: workdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const parsed = parseRunnerOutput(run.stdout);
    assert.ok(parsed?.ok, `no report: ${run.stdout}\n${run.stderr}`);
    const report = parsed.ok ? parsed.report : null;
    assert.is(report?.exitCode, 0, report?.stderr);
    assert.ok(report?.result.present, 'the probe returned nothing');
    const checks = checksOf(report?.result.value);
    const broken = checks.filter((c) => /could not|error/.test(c.detail));
    assert.equal(broken, [], 'a part of the probe raised instead of reporting');
    const network = checks.find((c) => c.name === 'no-network');
    assert.equal(
      [network?.passed, network?.detail],
      [true, `no connection: 127.0.0.1:${port}: ECONNREFUSED`],
    );
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
});

test.run();
