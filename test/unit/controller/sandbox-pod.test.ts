import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { effectiveLimits, runLabelValue, sandboxPodName } from '../../../src/controller/sandbox-pod.ts';
import { VERSION } from '../../../src/version.ts';
import { makeRun, sandboxPodOf, testConfig } from '../../fixtures.ts';

const pod = sandboxPodOf(makeRun(), testConfig());
const spec = pod.spec!;
const container = spec.containers[0]!;

test('the pod runs under the gvisor runtime class by default', () => {
  assert.is(spec.runtimeClassName, 'gvisor');
});

test('an empty CODERUN_RUNTIME_CLASS leaves runtimeClassName unset', () => {
  assert.is(
    sandboxPodOf(makeRun(), testConfig({ CODERUN_RUNTIME_CLASS: '' })).spec?.runtimeClassName,
    undefined,
  );
});

test('the pod uses the configured Localhost seccomp profile', () => {
  assert.equal(spec.securityContext?.seccompProfile, {
    type: 'Localhost',
    localhostProfile: 'coderun/sandbox.json',
  });
  const custom = sandboxPodOf(makeRun(), testConfig({ CODERUN_SECCOMP_PROFILE: 'profiles/x.json' }));
  assert.equal(custom.spec?.securityContext?.seccompProfile?.localhostProfile, 'profiles/x.json');
});

test('the pod runs as 65534, non-root, without privilege escalation or capabilities, on a read-only root', () => {
  assert.is(spec.securityContext?.runAsNonRoot, true);
  assert.is(spec.securityContext?.runAsUser, 65534);
  assert.is(container.securityContext?.allowPrivilegeEscalation, false);
  assert.is(container.securityContext?.privileged, false);
  assert.equal(container.securityContext?.capabilities?.drop, ['ALL']);
  assert.is(container.securityContext?.readOnlyRootFilesystem, true);
});

test('the pod has no service account token, no service links, no host namespaces, and never restarts', () => {
  assert.is(spec.automountServiceAccountToken, false);
  assert.is(spec.enableServiceLinks, false);
  assert.is(spec.hostNetwork, false);
  assert.is(spec.hostPID, false);
  assert.is(spec.hostIPC, false);
  assert.is(spec.restartPolicy, 'Never');
});

test('the pod resolves names only through loopback, where nothing answers, so a lookup fails at once', () => {
  assert.is(spec.dnsPolicy, 'None', "not the node's resolver (dnsPolicy Default), nor cluster DNS");
  assert.equal(spec.dnsConfig, {
    nameservers: ['127.0.0.1'],
    searches: [],
    options: [
      { name: 'timeout', value: '1' },
      { name: 'attempts', value: '1' },
    ],
  });
});

test('the work dir and /tmp are memory-backed and size-limited', () => {
  assert.equal(spec.volumes, [
    { name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
  ]);
  assert.equal(
    container.volumeMounts?.map((m) => m.mountPath),
    ['/work', '/tmp'],
  );
});

test('requests equal limits for cpu, memory and ephemeral storage', () => {
  const expected = { cpu: '1', memory: '256Mi', 'ephemeral-storage': '128Mi' };
  assert.equal(container.resources?.limits, expected);
  assert.equal(container.resources?.requests, expected);
});

test("with CODERUN_CPU_REQUEST the Pod asks the scheduler for that much CPU and keeps the run's limit", () => {
  const config = testConfig({ CODERUN_CPU_REQUEST: '200m' });
  const resources = sandboxPodOf(makeRun(), config).spec?.containers[0]?.resources;
  assert.equal(resources?.limits, { cpu: '1', memory: '256Mi', 'ephemeral-storage': '128Mi' });
  assert.equal(resources?.requests, { cpu: '200m', memory: '256Mi', 'ephemeral-storage': '128Mi' });
  // A run that asks for less than the request asks for what it gets: a request never exceeds the limit.
  const small = sandboxPodOf(makeRun({ resources: { cpu: '100m' } }), config).spec?.containers[0]?.resources;
  assert.equal([small?.requests?.cpu, small?.limits?.cpu], ['100m', '100m']);
});

test('activeDeadlineSeconds is the timeout plus the grace period', () => {
  assert.is(spec.activeDeadlineSeconds, 10 + 15);
  assert.is(sandboxPodOf(makeRun({ timeoutSeconds: 5 }), testConfig()).spec?.activeDeadlineSeconds, 20);
});

test('the job arrives on stdin, once, without a tty', () => {
  assert.is(container.stdin, true);
  assert.is(container.stdinOnce, true);
  assert.is(container.tty, false);
});

test('the image comes from the configuration for the language', () => {
  assert.is(container.image, `coderun/sandbox-python:${VERSION}`);
  const node = sandboxPodOf(
    makeRun({ language: 'nodejs' }),
    testConfig({ SANDBOX_BASE_NODEJS_IMAGE: 'my/node:1' }),
  );
  assert.is(node.spec?.containers[0]?.image, 'my/node:1');
});

test('the pod is controlled by its CodeRun and labelled with its name and language', () => {
  assert.equal(pod.metadata?.ownerReferences, [
    {
      apiVersion: 'coderun.dev/v1alpha1',
      kind: 'CodeRun',
      name: 'hello',
      uid: 'uid-hello',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.is(pod.metadata?.labels?.['coderun.dev/run'], 'hello');
  assert.is(pod.metadata?.labels?.['coderun.dev/language'], 'python');
  assert.is(pod.metadata?.name, 'hello-sandbox');
});

test('requested resources above the maxima are clamped', () => {
  const limits = effectiveLimits(
    makeRun({ resources: { cpu: '16', memory: '64Gi' }, timeoutSeconds: 3600 }),
    testConfig(),
  );
  assert.equal(limits, { timeoutSeconds: 300, cpuMillis: 2000, memoryBytes: 2 * 2 ** 30 });
});

test('requested resources below the maxima are kept', () => {
  const limits = effectiveLimits(
    makeRun({ resources: { cpu: '250m', memory: '128Mi' }, timeoutSeconds: 7 }),
    testConfig(),
  );
  assert.equal(limits, { timeoutSeconds: 7, cpuMillis: 250, memoryBytes: 128 * 2 ** 20 });
});

test('long run names give valid, distinct pod names and label values', () => {
  const a = 'a'.repeat(200);
  const b = `${'a'.repeat(199)}b`;
  assert.ok(sandboxPodName(a).length <= 63);
  assert.is.not(sandboxPodName(a), sandboxPodName(b));
  assert.ok(runLabelValue(a).length <= 63);
  assert.is.not(runLabelValue(a), runLabelValue(b));
});

test.run();
