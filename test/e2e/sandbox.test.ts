// End to end: real CodeRuns in real gVisor Pods on the local cluster (hack/cluster/up.sh), with the
// controller running here and delivering jobs through the real attach subresource. The static policy is
// off, so the isolation checks below exercise gVisor, seccomp and the Pod hardening, not the policy.
import { release } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun, CodeRunSpec } from '../../src/coderun/schema.ts';
import type { RunningController } from '../../src/controller/leader.ts';
import { SANDBOX_SELECTOR } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { installCrds } from '../harness/control-plane.ts';
import { setUpSuite } from '../suite-setup.ts';
import {
  connectCluster,
  describeRun,
  ensureImagesImported,
  GVISOR_KERNEL,
  NODE_IP,
  startE2eController,
  waitForRunEnd,
} from './support.ts';

const NS = `e2e-${Date.now().toString(36)}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e');
let kube: KubeClients;
let runs: CodeRunClient;
let controller: RunningController;
let counter = 0;

setUpSuite(test, 'sandbox e2e', async () => {
  await ensureImagesImported(['sandbox-python.tar', 'sandbox-nodejs.tar']);
  const cluster = connectCluster();
  kube = cluster.kube;
  runs = new CodeRunClient(kube);
  await installCrds(cluster.kc, new URL('../../crds', import.meta.url).pathname);
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  // make up's release (its warm pools) holds over half of this 2-core node's CPU requests: a run's Pod
  // asks for a fifth of a CPU to be scheduled beside it, and may use its full one.
  controller = startE2eController(kube, NS, log, { CODERUN_CPU_REQUEST: '200m' });
});

test.after(async () => {
  await controller?.stop();
  await kube?.core.deleteNamespace({ name: NS }).catch(() => undefined);
});

/** Runs one program to its end and deletes the CodeRun afterwards (its Pod goes with it). */
async function execute(
  spec: Partial<CodeRunSpec> & Pick<CodeRunSpec, 'source'>,
  timeoutMs = 180_000,
): Promise<CodeRun> {
  counter += 1;
  const created = await runs.create({
    namespace: NS,
    name: `run-${counter}`,
    spec: { language: 'python', arguments: {}, timeoutSeconds: 30, ...spec },
  });
  try {
    return await waitForRunEnd(runs, NS, created.metadata.name, timeoutMs);
  } finally {
    await runs.delete(NS, created.metadata.name).catch(() => undefined);
  }
}

function succeeded(run: CodeRun): unknown {
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  return run.status?.result?.value;
}

// ---- Python ----

test('python: main(**arguments) returns a dict', async () => {
  const started = Date.now();
  const run = await execute({
    source:
      'def main(name, n):\n    print("hi from the sandbox")\n    return {"greeting": f"hello {name}", "squares": [i * i for i in range(n)]}\n',
    arguments: { name: 'gvisor', n: 4 },
  });
  assert.equal(succeeded(run), { greeting: 'hello gvisor', squares: [0, 1, 4, 9] });
  assert.match(run.status?.stdout ?? '', 'hi from the sandbox');
  console.log(
    `  hello-world CodeRun, created -> Succeeded: ${Date.now() - started} ms (program ${run.status?.durationMs} ms)`,
  );
});

test('python: numpy, pandas and matplotlib work and a PNG can be saved', async () => {
  const source = `import os
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

def main():
    df = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})
    fig, ax = plt.subplots()
    ax.plot(df.x, df.y)
    os.makedirs("artifacts", exist_ok=True)
    fig.savefig("artifacts/plot.png")
    with open("artifacts/plot.png", "rb") as f:
        head = f.read(8)
    return {"sum": int(df.y.sum()), "png": head[1:4].decode(), "bytes": os.path.getsize("artifacts/plot.png")}
`;
  const value = succeeded(
    await execute({ source, timeoutSeconds: 120, resources: { memory: '512Mi' } }),
  ) as Record<string, number | string>;
  assert.is(value.sum, 285);
  assert.is(value.png, 'PNG');
  assert.ok((value.bytes as number) > 1000);
});

test('python: an exception exits 1 with the traceback on stderr', async () => {
  const run = await execute({ source: 'def main():\n    raise ValueError("boom")\n' });
  assert.is(run.status?.reason, 'NonZeroExit', describeRun(run));
  assert.is(run.status?.exitCode, 1);
  assert.match(run.status?.stderr ?? '', 'Traceback');
  assert.match(run.status?.stderr ?? '', 'ValueError: boom');
});

test("python: a syntax error exits 1 with the interpreter's SyntaxError", async () => {
  const run = await execute({ source: 'def main(:\n    return 1\n' });
  assert.is(run.status?.reason, 'NonZeroExit', describeRun(run));
  assert.match(run.status?.stderr ?? '', 'SyntaxError');
});

test('python: an infinite loop ends as TimedOut within timeout + 2 s', async () => {
  const run = await execute({ source: 'while True:\n    pass\n', timeoutSeconds: 3 });
  assert.is(run.status?.reason, 'TimedOut', describeRun(run));
  assert.ok((run.status?.durationMs ?? 0) <= 5000, `ran ${run.status?.durationMs} ms`);
});

test('python: allocating far past the memory limit ends as OOMKilled', async () => {
  const source =
    'def main():\n    blocks = []\n    while True:\n        blocks.append(bytearray(64 * 1024 * 1024))\n';
  const run = await execute({ source, resources: { memory: '128Mi' }, timeoutSeconds: 60 });
  assert.is(run.status?.reason, 'OOMKilled', describeRun(run));
});

test('python: printing 50 MiB ends truncated with the flag set, and the run still finishes', async () => {
  const source =
    'import sys\nline = "x" * 1023 + "\\n"\nfor _ in range(50 * 1024):\n    sys.stdout.write(line)\nprint("done", file=sys.stderr)\n';
  const run = await execute({ source, timeoutSeconds: 120 });
  assert.is(run.status?.reason, 'OutputLimit', describeRun(run));
  assert.is(run.status?.stdoutTruncated, true);
  assert.ok((run.status?.stdout?.length ?? 0) <= 262_144);
  assert.match(run.status?.stderr ?? '', 'done');
});

// ---- Node.js ----

test('node: main returns an object', async () => {
  const run = await execute({
    language: 'nodejs',
    source: 'function main({ a, b }) {\n  return { sum: a + b };\n}\nmodule.exports = { main };\n',
    arguments: { a: 2, b: 40 },
  });
  assert.equal(succeeded(run), { sum: 42 });
});

test('node: an async main is awaited', async () => {
  const run = await execute({
    language: 'nodejs',
    source:
      'async function main(args) {\n  await new Promise((r) => setTimeout(r, 50));\n  return { waited: true, n: args.n };\n}\n',
    arguments: { n: 7 },
  });
  assert.equal(succeeded(run), { waited: true, n: 7 });
});

test('node: require("axios") loads', async () => {
  const run = await execute({
    language: 'nodejs',
    source:
      "const axios = require('axios');\nfunction main() {\n  return { get: typeof axios.get, create: typeof axios.create };\n}\n",
  });
  assert.equal(succeeded(run), { get: 'function', create: 'function' });
});

test('node: throwing exits 1 with the stack on stderr', async () => {
  const run = await execute({
    language: 'nodejs',
    source: "function main() {\n  throw new Error('kaboom');\n}\n",
  });
  assert.is(run.status?.reason, 'NonZeroExit', describeRun(run));
  assert.is(run.status?.exitCode, 1);
  assert.match(run.status?.stderr ?? '', 'kaboom');
});

// ---- Isolation, each proved from inside the sandbox ----

test("isolation: the kernel the program sees is gVisor's, not the host's", async () => {
  const run = await execute({
    source:
      'import os\ndef main():\n    return {"release": os.uname().release, "version": open("/proc/version").read()}\n',
  });
  const value = succeeded(run) as { release: string; version: string };
  assert.is.not(value.release, release());
  // gVisor reports a fixed synthetic kernel (4.4.0 in older releases, 4.19.0-gvisor now), never the host's.
  assert.match(value.release, GVISOR_KERNEL);
});

test('isolation: a syscall the seccomp profile denies returns EPERM (seccomp is enforced under gVisor)', async () => {
  // The profile allows only unix, inet, inet6 and netlink sockets: an AF_VSOCK socket is refused with EPERM
  // by the profile, where gVisor alone answers EAFNOSUPPORT (97). No ctypes: the runner's guards refuse it.
  const source = `import errno, socket
def main():
    try:
        socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()
        return {"errno": 0}
    except OSError as e:
        return {"errno": e.errno, "name": errno.errorcode.get(e.errno)}
`;
  assert.equal(succeeded(await execute({ source })), { errno: 1, name: 'EPERM' });
});

test('isolation: the program runs as 65534 with no capabilities', async () => {
  const source = `import os
def main():
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
    return {"uid": os.getuid(), "gid": os.getgid(), "CapEff": status["CapEff"].strip(), "CapBnd": status["CapBnd"].strip()}
`;
  assert.equal(succeeded(await execute({ source })), {
    uid: 65534,
    gid: 65534,
    CapEff: '0000000000000000',
    CapBnd: '0000000000000000',
  });
});

test('isolation: the root filesystem is read-only', async () => {
  // The root mount's own flags are the proof; a write is refused whatever the file permissions say.
  const source = `import errno
def main():
    root = [line.split() for line in open("/proc/self/mounts") if line.split()[1] == "/"]
    try:
        open("/coderun-probe", "w")
        write = "written"
    except OSError as e:
        write = errno.errorcode[e.errno]
    return {"root": root[-1][3].split(",")[0], "write": write}
`;
  const value = succeeded(await execute({ source })) as { root: string; write: string };
  assert.is(value.root, 'ro');
  assert.is.not(value.write, 'written');
});

test('isolation: no service-account token is mounted', async () => {
  const source =
    'import os\ndef main():\n    return os.path.exists("/var/run/secrets/kubernetes.io/serviceaccount")\n';
  assert.is(succeeded(await execute({ source })), false);
});

test('isolation: no network: the API server ClusterIP, the node and outside addresses are unreachable', async () => {
  // The outside probe only runs when there is no default route, so nothing can leave this machine.
  const source = `import socket
def attempt(host, port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
        return "connected"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()

def main(node_ip):
    routes = open("/proc/net/route").read().splitlines()[1:]
    default_route = any(r.split()[1] == "00000000" for r in routes)
    interfaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
    return {
        "interfaces": interfaces,
        "default_route": default_route,
        "cluster_ip": attempt("10.96.0.1", 443),
        "node": attempt(node_ip, 6443),
        "outside": "skipped" if default_route else attempt("192.0.2.1", 80),
    }
`;
  const value = succeeded(await execute({ source, arguments: { node_ip: NODE_IP } })) as Record<
    string,
    unknown
  >;
  // runsc's network=none leaves only loopback: no route anywhere, so nothing can leak through.
  assert.equal(value.interfaces, ['lo'], JSON.stringify(value));
  assert.is(value.default_route, false);
  for (const key of ['cluster_ip', 'node', 'outside'])
    assert.is.not(value[key], 'connected', `${key} was reachable`);
});

test('isolation: a fork bomb is contained and the node stays healthy', async () => {
  const run = await execute(
    {
      source: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n',
      timeoutSeconds: 5,
      resources: { memory: '256Mi' },
    },
    120_000,
  );
  assert.is(run.status?.phase, 'Failed', describeRun(run));
  const nodes = await kube.core.listNode();
  for (const node of nodes.items) {
    assert.is(
      node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
      'True',
      `${node.metadata?.name} is Ready`,
    );
  }
  assert.equal(succeeded(await execute({ source: 'def main():\n    return "alive"\n' })), 'alive');
});

test('isolation: writing past the work dir size limit fails cleanly with ENOSPC', async () => {
  const source = `import errno
def main():
    chunk = b"x" * (1024 * 1024)
    written = 0
    try:
        with open("/work/fill", "wb") as f:
            for _ in range(200):
                f.write(chunk)
                f.flush()
                written += 1
    except OSError as e:
        return {"error": errno.errorcode[e.errno], "mib": written}
    return {"error": None, "mib": written}
`;
  const value = succeeded(await execute({ source, resources: { memory: '512Mi' } })) as {
    error: string;
    mib: number;
  };
  assert.is(value.error, 'ENOSPC');
  assert.ok(value.mib <= 64, `wrote ${value.mib} MiB into a 64 MiB work dir`);
});

// ---- Load and cleanup ----

test('ten runs submitted at once all complete correctly', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      execute({ source: 'def main(i):\n    return {"i": i, "double": i * 2}\n', arguments: { i } }, 300_000),
    ),
  );
  for (const [i, run] of results.entries()) assert.equal(succeeded(run), { i, double: i * 2 });
});

test('the suite leaves no sandbox pods behind', async () => {
  await waitFor(
    'every sandbox pod to be gone',
    async () => {
      const pods = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: SANDBOX_SELECTOR });
      return pods.items.length === 0;
    },
    120_000,
  );
});

test.run();
