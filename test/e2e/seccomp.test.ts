// End to end: a custom seccomp profile through the chart, on `make up`'s release. The profile is the shipped
// one with mkdir and mkdirat denied for mode 0700 only (the runners create artifacts/ with 0755 before every
// program, README "Customising the seccomp profile"), by rules whose errnoRet asks for EACCES. After a helm
// upgrade that sets seccompInstaller.profile, a Python program's os.mkdir(..., 0o700) fails with EPERM: the
// installer put the profile on the node, the controller names it, runsc enforces it, and gVisor ignores
// errnoRet. The release then gets its own values back, and the same program's mkdir works again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LABELS } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { setUpSuite } from '../suite-setup.ts';
import {
  command,
  connectCluster,
  helm,
  kubectl,
  LOCAL_SANDBOX_NAMESPACE,
  makeUp,
  postLocalRun,
  REPO,
} from './support.ts';

// The release `make up` installs (hack/deploy.sh: RELEASE and RELEASE_NAMESPACE default to coderun).
const RELEASE = 'coderun';
const NS = 'coderun';
const CHART = join(REPO, 'charts', 'coderun');
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;
const PRIVATE = 0o700;
const EPERM = 1;
const EACCES = 13;

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; op: string }[];
}

/** The shipped profile, except that mkdir(path, 0700) and mkdirat(dirfd, path, 0700) are denied. */
function profileDenyingPrivateMkdir(): object {
  const shipped = JSON.parse(readFileSync(join(REPO, 'seccomp', 'sandbox.json'), 'utf8'));
  const mkdir = (names: string[]) => names.filter((name) => name !== 'mkdir' && name !== 'mkdirat');
  const syscalls = (shipped.syscalls as Rule[]).map((rule) =>
    rule.action === 'SCMP_ACT_ALLOW' && !rule.args ? { ...rule, names: mkdir(rule.names) } : rule,
  );
  // The mode is argument 1 of mkdir and argument 2 of mkdirat; the two rules of each call are disjoint.
  for (const [name, index] of [
    ['mkdir', 1],
    ['mkdirat', 2],
  ] as const) {
    syscalls.push({
      names: [name],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index, value: PRIVATE, op: 'SCMP_CMP_NE' }],
    });
    syscalls.push({
      names: [name],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: EACCES,
      args: [{ index, value: PRIVATE, op: 'SCMP_CMP_EQ' }],
    });
  }
  return { ...shipped, syscalls };
}

const MKDIR_PROGRAM = `import os


def attempt(make):
    try:
        make()
        return 0
    except OSError as error:
        return error.errno


def main():
    made = {
        "mkdir_0700": attempt(lambda: os.mkdir("private", 0o700)),
        "mkdir_0755": attempt(lambda: os.mkdir("shared", 0o755)),
    }
    print("errno of each mkdir:", made)
    return made
`;

let kube: KubeClients;
let apps: AppsV1Api;
let token: string;
let workDir: string;
/** The values the release had before this file changed them (helm get values), restored at the end. */
let ownValues: object | undefined;
let restored = true;

setUpSuite(test, 'seccomp e2e', async () => {
  const cluster = connectCluster();
  kube = cluster.kube;
  apps = cluster.kc.makeApiClient(AppsV1Api);
  // `make up` once if its release is not there (the tiers before this one run it anyway).
  const present = await helm('status', RELEASE, '--namespace', NS).then(
    () => true,
    () => false,
  );
  token = present ? (await command(join(REPO, 'hack', 'deploy.sh'), ['token'])).trim() : await makeUp();
  workDir = mkdtempSync(join(tmpdir(), 'coderun-seccomp-e2e-'));
  ownValues = JSON.parse(await helm('get', 'values', RELEASE, '--namespace', NS, '--output', 'json')) ?? {};
});

test.after(async () => {
  // Never throws (uvu would lose the summary); the last test restores the release itself.
  if (!restored) await upgrade(ownValues ?? {}).catch((err) => console.error(`seccomp e2e cleanup: ${err}`));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/**
 * helm upgrade with these values and the chart of this tree; resolves once the installer and the controller
 * run their new template only, and no idle pool Pod built with another profile is left.
 */
async function upgrade(values: object): Promise<void> {
  const file = join(workDir, 'values.json');
  writeFileSync(file, JSON.stringify(values));
  restored = false;
  await helm('upgrade', RELEASE, CHART, '--namespace', NS, '--values', file, '--wait', '--timeout', '300s');
  for (const kind of ['daemonset', 'deployment'])
    await kubectl('rollout', 'status', kind, '--namespace', NS, '--selector', INSTANCE, '--timeout', '180s');
  const [controller] = (
    await apps.listNamespacedDeployment({
      namespace: NS,
      labelSelector: `${INSTANCE},app.kubernetes.io/component=controller`,
    })
  ).items;
  const env = controller?.spec?.template.spec?.containers[0]?.env ?? [];
  const profile = env.find((e) => e.name === 'CODERUN_SECCOMP_PROFILE')?.value;
  await waitFor(
    `the controller Pods and idle pool Pods to use ${profile}`,
    async () => {
      const controllers = await kube.core.listNamespacedPod({
        namespace: NS,
        labelSelector: `${INSTANCE},app.kubernetes.io/component=controller`,
      });
      const idle = await kube.core.listNamespacedPod({
        namespace: LOCAL_SANDBOX_NAMESPACE,
        labelSelector: `${LABELS.state}=idle`,
      });
      return (
        controllers.items.every((p) => !p.metadata?.deletionTimestamp) &&
        idle.items.every(
          (p) =>
            p.metadata?.deletionTimestamp ||
            p.spec?.securityContext?.seccompProfile?.localhostProfile === profile,
        )
      );
    },
    120_000,
  );
}

async function mkdirErrnos(): Promise<Record<string, number>> {
  const reply = await postLocalRun(token, { code: MKDIR_PROGRAM });
  assert.is(reply.status, 200, JSON.stringify(reply.body));
  assert.is(reply.body.exit_code, 0, JSON.stringify(reply.body));
  const errnos = reply.body.result?.value as Record<string, number>;
  // The program's own output says it too, as a user of /run sees it.
  assert.match(reply.body.stdout, `errno of each mkdir: {'mkdir_0700': ${errnos?.mkdir_0700}, `);
  return errnos;
}

test('a profile from the chart values is enforced in new sandboxes: mkdir(0700) fails with EPERM, not its errnoRet', async () => {
  const started = Date.now();
  const custom = {
    ...ownValues,
    seccompInstaller: {
      ...(ownValues as { seccompInstaller?: object })?.seccompInstaller,
      profile: JSON.stringify(profileDenyingPrivateMkdir()),
    },
  };
  await upgrade(custom);
  const rolled = Date.now();
  assert.equal(await mkdirErrnos(), { mkdir_0700: EPERM, mkdir_0755: 0 });
  console.log(
    `  seccomp: custom profile rolled out in ${((rolled - started) / 1000).toFixed(1)} s, run answered in ${((Date.now() - rolled) / 1000).toFixed(1)} s`,
  );
});

test('the release gets its own values back, and mkdir(0700) works again', async () => {
  const started = Date.now();
  await upgrade(ownValues ?? {});
  restored = true;
  const rolled = Date.now();
  assert.equal(await mkdirErrnos(), { mkdir_0700: 0, mkdir_0755: 0 });
  const values =
    JSON.parse(await helm('get', 'values', RELEASE, '--namespace', NS, '--output', 'json')) ?? {};
  assert.equal(values, ownValues);
  console.log(
    `  seccomp: shipped profile back in ${((rolled - started) / 1000).toFixed(1)} s, run answered in ${((Date.now() - rolled) / 1000).toFixed(1)} s`,
  );
});

test.run();
