// The isolation self-test for real. First gVisor alone: the probe in a runsc sandbox built like a sandbox
// Pod (seccomp/sandbox.json, network none, user 65534, no capabilities) passes with --oci-seccomp and, with
// only that flag taken away, fails on seccomp alone and names the fix: the node setting the self-test exists
// to catch, which the shared cluster cannot switch off. Then on the local cluster: a controller started here
// runs its probe as an ordinary CodeRun (strict policy) in a gVisor Pod and publishes a pass; and `make up`'s
// release has published one too, and runs another when its ConfigMap is annotated.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { API_VERSION, type CodeRun, KIND } from '../../src/coderun/schema.ts';
import { SELF_TEST_REQUEST_ANNOTATION } from '../../src/coderun/self-test-status.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { KubeSandboxChannel } from '../../src/controller/sandbox-channel.ts';
import { judgeProbe, PROBE_SOURCE, type SelfTestVerdict } from '../../src/controller/self-test.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { installCrds } from '../harness/control-plane.ts';
import { command, connectCluster, ensureImagesImported, makeUp, REPO } from './support.ts';

const NS = `e2e-selftest-${Date.now().toString(36)}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e');
let kube: KubeClients;
let controller: RunningController | undefined;

test.after(async () => {
  await controller?.stop();
  await kube?.core.deleteNamespace({ name: NS }).catch(() => undefined);
});

// ---- gVisor alone (runsc run with an OCI bundle; root, no cluster) ----

/** The verdict on what the probe saw in a runsc sandbox shaped like a sandbox Pod. */
async function probeUnderRunsc(ociSeccomp: boolean): Promise<SelfTestVerdict> {
  const runsc = join(
    (await command(join(REPO, 'hack', 'build-upstream.sh'), ['gvisor'], 1_800_000)).trim(),
    'runsc',
  );
  const dir = mkdtempSync(join(tmpdir(), 'coderun-self-test-'));
  try {
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    mkdirSync(join(dir, 'state'));
    // The sandbox's user 65534 reads the probe from the host's filesystem.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'probe.py'), PROBE_SOURCE, { mode: 0o644 });
    await command(runsc, ['spec', '--bundle', bundle]);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    const profile = JSON.parse(readFileSync(join(REPO, 'seccomp', 'sandbox.json'), 'utf8'));
    const none: string[] = [];
    spec.root = { path: '/', readonly: true };
    spec.process = {
      ...spec.process,
      terminal: false,
      user: { uid: 65534, gid: 65534 },
      noNewPrivileges: true,
      capabilities: { bounding: none, effective: none, inheritable: none, permitted: none, ambient: none },
      args: [
        'python3',
        '-I',
        '-c',
        'import json, sys\nns = {}\nexec(open(sys.argv[1]).read(), ns)\nprint("PROBE " + json.dumps(ns["main"]([["10.96.0.1", 443]])))',
        join(dir, 'probe.py'),
      ],
    };
    spec.linux.seccomp = {
      defaultAction: profile.defaultAction,
      defaultErrnoRet: profile.defaultErrnoRet,
      architectures: profile.architectures,
      syscalls: profile.syscalls,
    };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const flags = ['--root', join(dir, 'state'), '--network=none', ...(ociSeccomp ? ['--oci-seccomp'] : [])];
    const out = await command(
      runsc,
      [...flags, 'run', '--bundle', bundle, `self-test-${Date.now()}`],
      120_000,
    );
    const line = out.split('\n').find((l) => l.startsWith('PROBE '));
    assert.ok(line, `the probe printed nothing: ${out}`);
    const run: CodeRun = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: 'runsc', namespace: 'host', uid: 'runsc' },
      spec: { language: 'python', source: PROBE_SOURCE, arguments: {} },
      status: { phase: 'Succeeded', result: { present: true, value: JSON.parse(line.slice(6)) } },
    };
    return judgeProbe(run);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const asRoot = process.getuid?.() === 0;
(asRoot ? test : test.skip)(
  'runsc with oci-seccomp, network none, user 65534 and no capabilities passes the self-test',
  async () => {
    const verdict = await probeUnderRunsc(true);
    assert.is(verdict.passed, true, verdict.message);
  },
);

(asRoot ? test : test.skip)(
  'the same sandbox without oci-seccomp fails the self-test on seccomp alone, naming the fix',
  async () => {
    const verdict = await probeUnderRunsc(false);
    assert.is(verdict.passed, false);
    assert.equal(
      verdict.checks.filter((c) => !c.passed).map((c) => c.name),
      ['seccomp'],
    );
    assert.match(verdict.message, 'socket(AF_VSOCK) failed with EAFNOSUPPORT, not EPERM');
    assert.match(verdict.message, "the node's runsc is not configured with oci-seccomp = true");
    console.log(`  without oci-seccomp: ${verdict.message}`);
  },
);

// ---- the local cluster ----

test('on the local gVisor cluster a controller runs its probe as a CodeRun and publishes a pass', async () => {
  await ensureImagesImported(['sandbox-python.tar']);
  const cluster = connectCluster();
  kube = cluster.kube;
  await installCrds(cluster.kc, join(REPO, 'crds'));
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  controller = startController({
    kube,
    config: testConfig({
      CODERUN_NAMESPACES: NS,
      POD_NAMESPACE: NS,
      CODERUN_LEADER_ELECTION: 'false',
      CODERUN_SELF_TEST: 'true',
      CODERUN_SELF_TEST_INTERVAL: '0',
      CODERUN_START_TIMEOUT: '180',
      // make up's release (its warm pools) holds over half of this 2-core node's CPU requests: a run's Pod
      // asks for a fifth of a CPU to be scheduled beside it, and may use its full one.
      CODERUN_CPU_REQUEST: '200m',
    }),
    // The strict policy, as in production: the probe gets through only as the controller's own.
    policy: testPolicy(),
    channel: new KubeSandboxChannel(kube),
    log,
    onLostLeadership: () => undefined,
  });
  const data = await waitFor(
    'the published self-test result',
    async () => {
      const cm = await kube.core.readNamespacedConfigMap({ namespace: NS, name: 'coderun-self-test' });
      return cm.data?.status ? cm.data : null;
    },
    240_000,
  );
  assert.is(data?.status, 'True', data?.message);
  console.log(`  ${data?.message}`);
  const text = await controller.metrics.registry.metrics();
  assert.match(text, /^coderun_isolation_self_test_passed 1$/m);
  const probeRun = (data?.probeRun ?? '').split('/')[1] ?? '';
  const events = await kube.core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: `involvedObject.name=${probeRun}`,
  });
  assert.ok(events.items.some((e) => e.reason === 'IsolationSelfTestPassed'));
});

test("`make up`'s release publishes a pass and runs the self-test again when its ConfigMap is annotated", async () => {
  await makeUp();
  const { kube: admin } = connectCluster();
  const read = () => admin.core.readNamespacedConfigMap({ namespace: 'coderun', name: 'coderun-self-test' });
  await waitFor(
    'the release to publish its start-up self-test',
    async () => (await read()).data?.status,
    240_000,
  );
  const request = `e2e-${Date.now()}`;
  const cm = await read();
  cm.metadata = {
    ...cm.metadata,
    annotations: { ...cm.metadata?.annotations, [SELF_TEST_REQUEST_ANNOTATION]: request },
  };
  await admin.core.replaceNamespacedConfigMap({ namespace: 'coderun', name: 'coderun-self-test', body: cm });
  const data = await waitFor(
    'the requested self-test',
    async () => {
      const current = (await read()).data;
      return current?.handledRequest === request ? current : null;
    },
    240_000,
  );
  assert.is(data.status, 'True', data.message);
});

test.run();
