// The isolation self-test's pure parts: the judge of what the probe saw, the policy exemption of the
// controller's own probe run, and the published condition. The probe itself runs under the real Python
// runner in test/component/controller/self-test-probe.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CodeRun, CodeRunStatus } from '../../../src/coderun/schema.ts';
import { selfTestData, selfTestPassed } from '../../../src/coderun/self-test-status.ts';
import {
  apiServerTarget,
  CHECK_NAMES,
  checksOf,
  exemptFromPolicy,
  judgeProbe,
  MAX_PROBE_TARGETS,
  PROBE_SOURCE,
  probeSpec,
  SELF_TEST_LABEL,
  SELF_TEST_LABEL_VALUE,
} from '../../../src/controller/self-test.ts';
import { makeRun, NOW } from '../../fixtures.ts';

/** What the probe returns in a sandbox where everything holds (seen on the local gVisor cluster). */
function isolated(): Record<string, unknown> {
  return {
    kernel: {
      release: '4.19.0-gvisor',
      version: 'Linux version 4.19.0-gvisor #1 SMP Sun Jan 10 15:06:54 PST 2016',
    },
    seccomp: { call: 'socket(AF_VSOCK)', errno: 'EPERM' },
    network: [{ target: '10.96.0.1:443', outcome: 'ENETUNREACH', ms: 0 }],
    serviceAccount: { mounted: false, token: false },
    identity: {
      uid: 65534,
      euid: 65534,
      gid: 65534,
      capEff: '0000000000000000',
      capBnd: '0000000000000000',
    },
  };
}

function probeRun(value: unknown, status: Partial<CodeRunStatus> = {}): CodeRun {
  const run = makeRun(probeSpec([{ host: '10.96.0.1', port: 443 }]), {
    phase: 'Succeeded',
    reason: 'Completed',
    exitCode: 0,
    result: { present: true, value },
    ...status,
  });
  run.metadata.labels = { [SELF_TEST_LABEL]: SELF_TEST_LABEL_VALUE };
  return run;
}

function judged(change: (v: Record<string, unknown>) => void) {
  const value = isolated();
  change(value);
  return judgeProbe(probeRun(value));
}

function failedChecks(change: (v: Record<string, unknown>) => void): string[] {
  return judged(change)
    .checks.filter((c) => !c.passed)
    .map((c) => c.name);
}

test('a probe that saw gVisor, an enforced profile, no network, no token, user 65534 and no capabilities passes', () => {
  const verdict = judgeProbe(probeRun(isolated()));
  assert.is(verdict.passed, true);
  assert.is(verdict.reason, 'Passed');
  assert.equal(
    verdict.checks.map((c) => [c.name, c.passed]),
    CHECK_NAMES.map((name) => [name, true]),
  );
  assert.match(verdict.message, 'isolation self-test passed');
});

test('the host kernel instead of gVisor fails gvisor-kernel and names the RuntimeClass', () => {
  const verdict = judged((v) => {
    v.kernel = { release: '6.1.0-18-amd64', version: 'Linux version 6.1.0-18-amd64 (debian-kernel@...)' };
  });
  assert.is(verdict.passed, false);
  assert.equal(
    verdict.checks.filter((c) => !c.passed).map((c) => c.name),
    ['gvisor-kernel'],
  );
  assert.match(verdict.message, 'kernel release 6.1.0-18-amd64');
  assert.match(verdict.message, 'CODERUN_RUNTIME_CLASS');
});

test('the older gVisor release 4.4.0 counts as gVisor too', () => {
  assert.equal(
    failedChecks((v) => {
      v.kernel = { release: '4.4.0', version: 'Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016' };
    }),
    [],
  );
});

test('seccomp not enforced (gVisor answers EAFNOSUPPORT itself) fails loudly with the oci-seccomp fix', () => {
  const verdict = judged((v) => {
    v.seccomp = { call: 'socket(AF_VSOCK)', errno: 'EAFNOSUPPORT' };
  });
  assert.is(verdict.passed, false);
  assert.is(verdict.reason, 'ChecksFailed');
  assert.equal(
    verdict.checks.filter((c) => !c.passed).map((c) => c.name),
    ['seccomp'],
  );
  assert.match(verdict.message, 'socket(AF_VSOCK) failed with EAFNOSUPPORT, not EPERM');
  assert.match(verdict.message, "the node's runsc is not configured with oci-seccomp = true");
  assert.match(verdict.message, 'oci-seccomp = "true" under [runsc_config] in the runsc config');
  assert.match(verdict.message, 'hack/cluster/runsc.toml');
});

test('a denied call that succeeds fails the seccomp check', () => {
  const verdict = judged((v) => {
    v.seccomp = { call: 'socket(AF_VSOCK)', errno: null };
  });
  assert.equal(
    verdict.checks.filter((c) => !c.passed).map((c) => [c.name, c.detail]),
    [['seccomp', 'socket(AF_VSOCK) succeeded, not EPERM: the seccomp profile is not enforced']],
  );
});

test('a connection that succeeds fails no-network, naming the address and the fix', () => {
  const reached = judged((v) => {
    v.network = [
      { target: '10.96.0.1:443', outcome: 'connected', ms: 3 },
      { target: '10.0.0.1:80', outcome: 'timeout', ms: 3000 },
    ];
  });
  assert.equal(
    reached.checks.filter((c) => !c.passed).map((c) => c.name),
    ['no-network'],
  );
  assert.match(reached.message, 'the sandbox reached the network: 10.96.0.1:443: connected');
  assert.match(reached.message, 'network = "none"');
});

test('a connection that times out passes no-network', () => {
  assert.equal(
    failedChecks((v) => {
      v.network = [{ target: '10.96.0.1:443', outcome: 'timeout', ms: 3000 }];
    }),
    [],
  );
});

test('a probe given no address to try cannot prove there is no network', () => {
  const verdict = judged((v) => {
    v.network = [];
  });
  assert.equal(
    verdict.checks.filter((c) => !c.passed).map((c) => [c.name, c.detail]),
    [['no-network', 'the probe was given no address to try']],
  );
});

test('a mounted service-account token fails no-service-account-token', () => {
  assert.equal(
    failedChecks((v) => {
      v.serviceAccount = { mounted: true, token: true };
    }),
    ['no-service-account-token'],
  );
});

test('running as root fails non-root', () => {
  assert.equal(
    failedChecks((v) => {
      v.identity = { uid: 0, euid: 0, gid: 0, capEff: '0000000000000000', capBnd: '0000000000000000' };
    }),
    ['non-root'],
  );
});

test('capabilities, bounding or effective, fail no-capabilities', () => {
  assert.equal(
    failedChecks((v) => {
      v.identity = {
        uid: 65534,
        euid: 65534,
        gid: 65534,
        capEff: '0000000000000000',
        capBnd: '00000000a80425fb',
      };
    }),
    ['no-capabilities'],
  );
  assert.equal(
    failedChecks((v) => {
      v.identity = {
        uid: 65534,
        euid: 65534,
        gid: 65534,
        capEff: '0000000000000400',
        capBnd: '0000000000000400',
      };
    }),
    ['no-capabilities'],
  );
});

test('what runsc without oci-seccomp, run as root, showed fails seccomp, non-root and no-capabilities at once', () => {
  // Measured: runsc --network=none do python3 <probe> on this machine (root, no OCI profile).
  const verdict = judgeProbe(
    probeRun({
      kernel: {
        release: '4.19.0-gvisor',
        version: 'Linux version 4.19.0-gvisor #1 SMP Sun Jan 10 15:06:54 PST 2016',
      },
      seccomp: { call: 'socket(AF_VSOCK)', errno: 'EAFNOSUPPORT' },
      network: [
        { target: '10.96.0.1:443', outcome: 'ENETUNREACH', ms: 0 },
        { target: '1.1.1.1:443', outcome: 'ENETUNREACH', ms: 0 },
      ],
      serviceAccount: { mounted: false, token: false },
      identity: { uid: 0, euid: 0, gid: 0, capEff: '000001ffffffdfff', capBnd: '000001ffffffdfff' },
    }),
  );
  assert.is(verdict.passed, false);
  assert.match(verdict.message, 'isolation self-test failed (seccomp, non-root, no-capabilities)');
  for (const name of ['seccomp', 'non-root', 'no-capabilities'])
    assert.match(verdict.message, new RegExp(`${name}: .*; fix: `));
});

test('a part of the probe that raised fails its check with the error', () => {
  const verdict = judged((v) => {
    v.identity = { error: 'PermissionError: [Errno 13] Permission denied' };
  });
  assert.equal(
    verdict.checks.filter((c) => !c.passed).map((c) => [c.name, c.detail]),
    [
      ['non-root', 'the probe could not read its identity: PermissionError: [Errno 13] Permission denied'],
      [
        'no-capabilities',
        'the probe could not read its identity: PermissionError: [Errno 13] Permission denied',
      ],
    ],
  );
});

test('a value that is not the probe fails every check', () => {
  assert.equal(
    checksOf('hello').filter((c) => c.passed),
    [],
  );
  assert.is(checksOf(null).length, CHECK_NAMES.length);
});

test('a probe run that did not succeed fails as ProbeFailed with its reason and message', () => {
  const verdict = judgeProbe(
    probeRun(undefined, {
      phase: 'Failed',
      reason: 'SystemError',
      message: 'cannot create the sandbox Pod: RuntimeClass "gvisor" not found',
      result: { present: false },
    }),
  );
  assert.equal([verdict.passed, verdict.reason, verdict.checks], [false, 'ProbeFailed', []]);
  assert.match(
    verdict.message,
    'did not return its findings: Failed (SystemError): cannot create the sandbox Pod: RuntimeClass "gvisor" not found',
  );
});

test('a probe whose findings the status does not keep (a small preview with a store) fails, naming the setting', () => {
  const verdict = judgeProbe(probeRun(undefined, { result: { present: true } }));
  assert.equal([verdict.passed, verdict.reason], [false, 'ProbeFailed']);
  assert.match(verdict.message, 'raise CODERUN_STATUS_PREVIEW_BYTES');
});

test('what the probe returns fits the smallest preview that keeps it, with four addresses', () => {
  const value = isolated();
  value.network = Array.from({ length: MAX_PROBE_TARGETS }, (_, i) => ({
    target: `[fd00:0:0:0:0:0:0:${i}]:65535`,
    outcome: 'ENETUNREACH',
    ms: 3000,
  }));
  (value.kernel as { version: string }).version = 'x'.repeat(200);
  assert.ok(JSON.stringify(value).length < 2048, `${JSON.stringify(value).length} bytes`);
});

// ---- the policy exemption ----

function labelled(spec = probeSpec([{ host: '10.96.0.1', port: 443 }])): CodeRun {
  const run = makeRun(spec);
  run.metadata.labels = { [SELF_TEST_LABEL]: SELF_TEST_LABEL_VALUE };
  return run;
}

test("the controller's own probe, with its label and exactly its source, is exempt from the policy", () => {
  assert.is(exemptFromPolicy(labelled()), true);
  assert.is(exemptFromPolicy(labelled(probeSpec([]))), true);
});

test('the self-test label on any other program exempts nothing', () => {
  const other = labelled({ ...probeSpec([]), source: 'import ctypes\ndef main(targets):\n    return 1\n' });
  assert.is(exemptFromPolicy(other), false);
  // One character more is another program.
  assert.is(exemptFromPolicy(labelled({ ...probeSpec([]), source: `${PROBE_SOURCE}\n` })), false);
  assert.is(exemptFromPolicy(labelled({ ...probeSpec([]), language: 'nodejs' })), false);
});

test('the probe source without the label, or with another label value, is judged by the policy', () => {
  assert.is(exemptFromPolicy(makeRun(probeSpec([]))), false);
  const other = labelled();
  other.metadata.labels = { [SELF_TEST_LABEL]: 'api' };
  assert.is(exemptFromPolicy(other), false);
});

test('the probe with arguments of another shape is judged by the policy', () => {
  const withArgs = (args: Record<string, unknown>) => labelled({ ...probeSpec([]), arguments: args });
  assert.is(exemptFromPolicy(withArgs({ targets: [['10.0.0.1', 443]], extra: 1 })), false);
  assert.is(exemptFromPolicy(withArgs({ targets: [['10.0.0.1', '443']] })), false);
  assert.is(exemptFromPolicy(withArgs({ targets: [['10.0.0.1', 70_000]] })), false);
  const many = Array.from({ length: MAX_PROBE_TARGETS + 1 }, (_, i) => [`10.0.0.${i}`, 80]);
  assert.is(exemptFromPolicy(withArgs({ targets: many })), false);
});

test('the probe spec carries at most four addresses and a 30 s timeout', () => {
  const targets = Array.from({ length: 6 }, (_, i) => ({ host: `10.0.0.${i}`, port: 80 }));
  const spec = probeSpec(targets);
  assert.is((spec.arguments as { targets: unknown[] }).targets.length, MAX_PROBE_TARGETS);
  assert.is(spec.timeoutSeconds, 30);
  assert.is(spec.source, PROBE_SOURCE);
});

test('the address to try is the API server the controller uses', () => {
  assert.equal(apiServerTarget('https://10.96.0.1:443'), { host: '10.96.0.1', port: 443 });
  assert.equal(apiServerTarget('https://kubernetes.default.svc'), {
    host: 'kubernetes.default.svc',
    port: 443,
  });
  assert.equal(apiServerTarget('https://[fd00::1]:6443'), { host: 'fd00::1', port: 6443 });
  assert.equal(apiServerTarget('http://127.0.0.1'), { host: '127.0.0.1', port: 80 });
  assert.is(apiServerTarget('not a url'), null);
  assert.is(apiServerTarget(undefined), null);
});

// ---- the published condition ----

test('the published condition keeps its transition time while the status stays, and moves it on a change', () => {
  const passed = judgeProbe(probeRun(isolated()));
  const first = selfTestData(undefined, passed, {
    probeRun: 'sb/self-test-1',
    now: NOW,
    handledRequest: 'r1',
  });
  assert.equal(
    [first.type, first.status, first.reason, first.lastTransitionTime, first.handledRequest],
    ['IsolationVerified', 'True', 'Passed', NOW.toISOString(), 'r1'],
  );
  const later = new Date(NOW.getTime() + 3_600_000);
  const again = selfTestData(first, passed, { probeRun: 'sb/self-test-2', now: later });
  assert.equal(
    [again.lastTransitionTime, again.lastProbeTime, again.probeRun, again.handledRequest],
    [NOW.toISOString(), later.toISOString(), 'sb/self-test-2', 'r1'],
  );
  const failed = judged((v) => {
    v.seccomp = { call: 'socket(AF_VSOCK)', errno: 'EAFNOSUPPORT' };
  });
  const flipped = selfTestData(again, failed, { probeRun: 'sb/self-test-3', now: later });
  assert.equal(
    [flipped.status, flipped.reason, flipped.lastTransitionTime],
    ['False', 'ChecksFailed', later.toISOString()],
  );
  assert.equal(
    (JSON.parse(flipped.checks as string) as { name: string; passed: boolean }[]).find((c) => !c.passed)
      ?.name,
    'seccomp',
  );
});

test('readiness that requires the self-test: ready on a pass, not on a failure or before any result', () => {
  const passed = selfTestData(undefined, judgeProbe(probeRun(isolated())), { probeRun: 'x', now: NOW });
  assert.is(selfTestPassed(passed).ok, true);
  const failed = selfTestData(
    undefined,
    judged((v) => (v.seccomp = { errno: 'EAFNOSUPPORT' })),
    {
      probeRun: 'x',
      now: NOW,
    },
  );
  assert.equal(selfTestPassed(failed), { ok: false, detail: failed.message as string });
  assert.match(selfTestPassed(failed).detail, 'oci-seccomp');
  assert.equal(selfTestPassed(undefined), {
    ok: false,
    detail: 'the isolation self-test has not published a result yet',
  });
});

test.run();
