// The faults of the campaign: kill -9 of the controller's or the API's container (the kubelet restarts it)
// and of the local cluster's kube-apiserver, etcd, containerd and kubelet (hack/cluster/up.sh --restart
// brings each back, through the start function `make cluster-up` uses).

import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { command, kubectl, REPO } from '../e2e/support.ts';
import type { AnswerKind } from './verdict.ts';

export interface Fault {
  name: string;
  /**
   * What a caller whose request is in flight may get: the right answer, or what the fault makes
   * unavoidable. Never a wrong answer, never none.
   */
  allowed: readonly AnswerKind[];
  /** The host PID that kill -9 hits: the daemon's, or the container's main process. */
  target(): Promise<number>;
  /** Brings it back (nothing to do for a container: its kubelet restarts it). */
  restart(): Promise<void>;
}

const CLUSTER = join(REPO, 'hack', 'cluster');
/** hack/lib/dev.sh RELEASE and RELEASE_NAMESPACE: `make up`'s release. */
const RELEASE_SELECTOR = 'app.kubernetes.io/instance=coderun';
const RELEASE_NAMESPACE = 'coderun';

/** Runs a line of bash with hack/cluster/lib.sh sourced (it knows the PID files and containerd's socket). */
function clusterShell(script: string, ...args: string[]): Promise<string> {
  return command('bash', ['-c', `. "$0" && ${script}`, join(CLUSTER, 'lib.sh'), ...args]);
}

/** SIGKILL, then waits until the process is gone (reaped), so that nothing mistakes it for alive. */
export async function killAndWait(pid: number, what: string): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(100);
  }
  throw new Error(`${what} (pid ${pid}) is still there 30 s after SIGKILL`);
}

function daemon(name: string, allowed: readonly AnswerKind[] = ['right']): Fault {
  return {
    name,
    allowed,
    async target() {
      return Number((await clusterShell('cat "$PIDS/$1.pid"', name)).trim());
    },
    async restart() {
      await command(join(CLUSTER, 'up.sh'), ['--restart', name], 180_000);
    },
  };
}

/** The host PID of the main process of a running Pod's first container (runc: a host process). */
async function containerPid(component: string): Promise<number> {
  const pods = JSON.parse(
    await kubectl(
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'pods',
      '-l',
      `${RELEASE_SELECTOR},app.kubernetes.io/component=${component}`,
      '-o',
      'json',
    ),
  ) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string };
      status?: { containerStatuses?: { containerID?: string; state?: { running?: unknown } }[] };
    }[];
  };
  const running = pods.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .flatMap((p) => p.status?.containerStatuses?.[0] ?? [])
    .find((c) => c.state?.running && c.containerID);
  if (!running?.containerID)
    throw new Error(`no running ${component} container in namespace ${RELEASE_NAMESPACE}`);
  const id = running.containerID.replace(/^containerd:\/\//, '');
  const tasks = await clusterShell('ctr_ -n k8s.io tasks ls'); // TASK PID STATUS
  const row = tasks
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find(([task]) => task === id);
  if (!row?.[1]) throw new Error(`containerd has no task for the ${component} container ${id}`);
  return Number(row[1]);
}

function container(name: string, component: string, allowed: readonly AnswerKind[]): Fault {
  return {
    name,
    allowed,
    target: () => containerPid(component),
    async restart() {},
  };
}

/** Every fault, in the order a round injects them. */
export const FAULTS: readonly Fault[] = [
  // Runs survive a controller restart: the next one finds their Pods and reads what they reported.
  container('controller Pod', 'controller', ['right']),
  // Its callers lose their connection with it (one replica: nobody else holds their request).
  container('API Pod', 'api', ['right', 'connection error']),
  daemon('kube-apiserver'),
  daemon('etcd'),
  // Sandboxes in flight may not survive it (their containers exit 255, or their line never comes back:
  // stdout and attach streams go through containerd); the controller then runs such a run again in a fresh
  // sandbox (outcome.ts, 'lost'), so its caller still gets the right answer.
  daemon('containerd'),
  daemon('kubelet'),
];
