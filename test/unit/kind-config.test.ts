import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const REPO = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}
interface PortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress?: string;
  protocol?: string;
}
interface KindConfig {
  kind: string;
  apiVersion: string;
  name: string;
  kubeadmConfigPatches?: string[];
  containerdConfigPatches: string[];
  nodes: { role: string; extraMounts?: Mount[]; extraPortMappings?: PortMapping[] }[];
}

const config: KindConfig = parse(read('kind-config.yaml'));
const handler = read('hack/cluster/containerd-runsc.toml');
const RUNSC_TABLE = "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]";

test('kind-config.yaml is a kind v1alpha4 Cluster named coderun with one control-plane node', () => {
  assert.is(config.kind, 'Cluster');
  assert.is(config.apiVersion, 'kind.x-k8s.io/v1alpha4');
  assert.is(config.name, 'coderun');
  assert.equal(
    config.nodes.map((node) => node.role),
    ['control-plane'],
  );
});

test("containerdConfigPatches carry hack/cluster/containerd-runsc.toml verbatim, the local cluster's handler", () => {
  const verbatim = config.containerdConfigPatches.filter((patch) => patch === handler);
  assert.is(
    verbatim.length,
    1,
    'exactly one patch must equal hack/cluster/containerd-runsc.toml byte for byte',
  );
  assert.ok(
    handler.includes(RUNSC_TABLE),
    'the handler file defines the runsc runtime (config version 3 name)',
  );
});

test('no other patch touches the runsc handler, and none sets a config version kind would skip it for', () => {
  for (const patch of config.containerdConfigPatches) {
    // kind drops a patch whose `version` differs from its base config's (version 2 in its node images).
    assert.not.match(patch, /^\s*version\s*=/m, 'a patch sets `version`');
    if (patch === handler) continue;
    assert.not.match(patch, /runsc/, 'only the verbatim handler patch may configure runsc');
  }
});

test("the second patch restates kind's runc handler under the version-3 name, with cgroupfs", () => {
  const others = config.containerdConfigPatches.filter((patch) => patch !== handler);
  assert.is(others.length, 1);
  const runc = others[0]!;
  assert.match(runc, "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]");
  // kind's images/base/files/etc/containerd/config.toml
  assert.match(runc, "runtime_type = 'io.containerd.runc.v2'");
  assert.match(runc, "base_runtime_spec = '/etc/containerd/cri-base.json'");
  // cgroupfs, like the kubelet (runsc fails on kind's cgroup v1 layout under the systemd driver).
  assert.match(runc, 'SystemdCgroup = false');
});

const mounts = config.nodes[0]!.extraMounts ?? [];
const byContainerPath = new Map(mounts.map((mount) => [mount.containerPath, mount]));
const valuesYaml = parse(read('charts/coderun/values.yaml'));
const seccompTarget = `${valuesYaml.seccompInstaller.kubeletRootDir}/seccomp/${valuesYaml.sandbox.seccompProfile}`;
const runscConfigPath = /^\s*ConfigPath\s*=\s*'([^']+)'/m.exec(handler)?.[1] ?? '';

test('extraMounts: gVisor, runsc.toml at the handler ConfigPath, the seccomp profile where the chart points', () => {
  assert.is(runscConfigPath, '/etc/coderun/runsc.toml');
  assert.is(seccompTarget, '/var/lib/kubelet/seccomp/coderun/sandbox.json');
  assert.equal(
    [...mounts].sort((a, b) => a.containerPath.localeCompare(b.containerPath)),
    [
      { hostPath: 'hack/cluster/runsc.toml', containerPath: runscConfigPath, readOnly: true },
      {
        hostPath: '.dev/kind/gvisor/containerd-shim-runsc-v1',
        containerPath: '/usr/local/bin/containerd-shim-runsc-v1',
        readOnly: true,
      },
      { hostPath: '.dev/kind/gvisor/runsc', containerPath: '/usr/local/bin/runsc', readOnly: true },
      { hostPath: 'seccomp/sandbox.json', containerPath: seccompTarget, readOnly: true },
    ].sort((a, b) => a.containerPath.localeCompare(b.containerPath)),
  );
});

test('mounted repository files exist; every hostPath is relative to the repository root', () => {
  for (const mount of mounts) {
    assert.not.ok(
      isAbsolute(mount.hostPath),
      `${mount.hostPath} must be relative (kind resolves it from its cwd)`,
    );
    if (mount.hostPath.startsWith('.dev/')) continue; // staged by hack/kind.sh up
    assert.ok(existsSync(join(REPO, mount.hostPath)), `${mount.hostPath} is missing`);
  }
  assert.ok(byContainerPath.has('/usr/local/bin/runsc'));
  assert.ok(byContainerPath.has('/usr/local/bin/containerd-shim-runsc-v1'));
});

/** The value of a `NAME=value` line of a shell file. */
function shellSetting(path: string, name: string): string {
  const value = new RegExp(`^${name}=([^\\s#]+)`, 'm').exec(read(path))?.[1];
  if (!value) throw new Error(`${path} sets no ${name}`);
  return value;
}
const apiPort = Number(shellSetting('hack/lib/dev.sh', 'API_PORT'));
const nodePortRange = shellSetting('hack/cluster/lib.sh', 'NODE_PORT_RANGE');
const quotaSync = `${shellSetting('hack/cluster/lib.sh', 'QUOTA_SYNC_SECONDS')}s`;

test('make up gives the API Service nodePort API_PORT (9385), inside the local cluster NodePort range', () => {
  assert.is(apiPort, 9385, "RAGFlow's port");
  assert.match(read('hack/deploy.sh'), '--set "api.service.nodePort=$API_PORT"');
  const [low, high] = nodePortRange.split('-').map(Number);
  assert.ok(low! <= apiPort && apiPort <= high!, `${apiPort} in ${nodePortRange}`);
  assert.ok(high! >= 32767, 'the default range (30000-32767) stays inside it');
});

test('extraPortMappings publish 127.0.0.1:9385 of this machine to port 9385 of the node, and nothing else', () => {
  assert.equal(config.nodes[0]!.extraPortMappings, [
    { containerPort: apiPort, hostPort: apiPort, listenAddress: '127.0.0.1', protocol: 'TCP' },
  ]);
});

test("kubeadm patches widen the API server's NodePort range and shorten the quota recount as on the local cluster, in v1beta3 and v1beta4 form, and let the kubelet run on cgroup v1 as the local cluster's does", () => {
  const patches = (config.kubeadmConfigPatches ?? []).map((patch) => parse(patch));
  assert.equal(patches, [
    {
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      kind: 'ClusterConfiguration',
      apiServer: { extraArgs: { 'service-node-port-range': nodePortRange } },
      controllerManager: { extraArgs: { 'resource-quota-sync-period': quotaSync } },
    },
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      apiServer: { extraArgs: [{ name: 'service-node-port-range', value: nodePortRange }] },
      controllerManager: { extraArgs: [{ name: 'resource-quota-sync-period', value: quotaSync }] },
    },
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      oomScoreAdj: 0,
      cgroupDriver: 'cgroupfs',
    },
    { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', oomScoreAdj: 0 },
  ]);
  assert.match(read('hack/cluster/up.sh'), /^failCgroupV1: false$/m);
  assert.match(read('hack/cluster/up.sh'), /--resource-quota-sync-period "\$\{QUOTA_SYNC_SECONDS\}s"/);
});

test.run();
