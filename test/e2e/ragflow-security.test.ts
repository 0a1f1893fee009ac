// RAGFlow's own sandbox security suite, in intent, against `make up`'s endpoint (localhost:9385, the chart's
// defaults: a 10 s run timeout as RAGFlow's): programs that never end must not starve the others, and a
// program that reaches for the network must fail at once with a clear error, not hang until the timeout.
// Programs go through the static policy as RAGFlow's would, so the network probes use what it allows
// (urllib, requests, dns, fetch, axios); the sandbox has no network (runsc network=none), and its resolver
// is loopback with nothing behind it (src/controller/sandbox-pod.ts), so lookups are refused at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RagflowResult } from '../../src/api/ragflow/response.ts';
import { POOL_PLURAL, type SandboxPool } from '../../src/coderun/sandbox-pool.ts';
import { GROUP, VERSION } from '../../src/coderun/schema.ts';
import { LABELS } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { RAGFLOW_FIELDS } from '../fixtures.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { setUpSuite } from '../suite-setup.ts';
import { LOCAL_SANDBOX_NAMESPACE, localRelease, postLocalRun, type RagflowReply } from './support.ts';

/** RAGFlow's suite allows each answer 15 s; the release's timeout is 10 s. */
const ANSWER_MS = 15_000;
/** A network failure must come this fast (the program's own time, interpreter start included). */
const FAIL_FAST_MS = 3_000;

let token: string;
let kube: KubeClients;

setUpSuite(test, 'RAGFlow security e2e', async () => {
  ({ token, kube } = await localRelease());
});

type Program = { code: string; language: 'python' | 'nodejs' };

/**
 * Until no sandbox Pod of an earlier run (make up's own hello world) still holds CPU on the node, and the
 * warm pools are full again, as they are for a RAGFlow that has been idle for a few seconds.
 */
async function quietNode(): Promise<boolean> {
  await waitFor(
    'the sandbox Pods of earlier runs to be gone',
    async () =>
      (await kube.core.listNamespacedPod({ namespace: LOCAL_SANDBOX_NAMESPACE, labelSelector: LABELS.run }))
        .items.length === 0,
    60_000,
  );
  return waitFor(
    'the warm pools to be full',
    async () => {
      const list = (await kube.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: LOCAL_SANDBOX_NAMESPACE,
        plural: POOL_PLURAL,
      })) as { items: SandboxPool[] };
      return list.items.every((p) => (p.status?.readyReplicas ?? 0) >= p.spec.replicas);
    },
    120_000,
  );
}

function contract(reply: RagflowReply): RagflowResult {
  assert.is(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(Object.keys(reply.body).sort(), RAGFLOW_FIELDS);
  return reply.body;
}

const LOOPS: Record<string, Program> = {
  'python: while True at module level': { language: 'python', code: 'while True:\n    pass\n' },
  'python: a busy loop in main': { language: 'python', code: 'def main():\n    while True:\n        pass\n' },
  'python: a sleeping loop': {
    language: 'python',
    code: 'import time\n\ndef main():\n    while True:\n        time.sleep(0.1)\n',
  },
  'nodejs: a busy loop in main': { language: 'nodejs', code: 'function main() {\n  while (true) {}\n}\n' },
  'nodejs: a timer that never settles': {
    language: 'nodejs',
    code: 'async function main() {\n  for (;;) await new Promise((r) => setTimeout(r, 100));\n}\n',
  },
};

test('five infinite loops (Python and Node.js) and a hello world sent together: each answered within 15 s, the loops as timeouts, hello world as success', async () => {
  const hello: Program = {
    language: 'python',
    code: 'def main():\n    print("hello, world")\n    return {"hello": "world"}\n',
  };
  await quietNode();
  const [helloReply, ...loopReplies] = await Promise.all([
    postLocalRun(token, hello),
    ...Object.values(LOOPS).map((program) => postLocalRun(token, program)),
  ]);
  const times = [helloReply!, ...loopReplies].map((r) => `${(r.ms / 1000).toFixed(1)} s`);
  console.log(`  answered after: hello ${times[0]}, loops ${times.slice(1).join(', ')}`);

  const greeting = contract(helloReply!);
  assert.is(greeting.status, 'success', JSON.stringify(greeting));
  assert.is(greeting.stdout, 'hello, world\n');
  assert.equal(greeting.result?.value, { hello: 'world' });
  assert.ok(helloReply!.ms < ANSWER_MS, `hello world answered after ${helloReply!.ms} ms`);

  for (const [i, name] of Object.keys(LOOPS).entries()) {
    const reply = loopReplies[i]!;
    const body = contract(reply);
    assert.is(body.status, 'resource_limit_exceeded', `${name}: ${JSON.stringify(body)}`);
    assert.is(body.exit_code, -124, name);
    assert.is(body.resource_limit_type, 'time', name);
    assert.is(body.stderr, 'Execution timeout', name);
    assert.is(body.stdout, '', name);
    assert.ok(reply.ms < ANSWER_MS, `${name}: answered after ${reply.ms} ms`);
  }
});

/**
 * Each reaches for the network in a way RAGFlow users' code does; `error` is what stderr must say. The
 * program times the network call alone (not the imports, which a busy node makes slow) and prints it.
 */
const python = (imports: string, call: string) =>
  `import sys, time\n${imports}\n\ndef main():\n    started = time.monotonic()\n    try:\n        return ${call}\n    finally:\n        print(f"network call: {int((time.monotonic() - started) * 1000)} ms", file=sys.stderr)\n`;
const node = (imports: string, call: string) =>
  `${imports}\n\nasync function main() {\n  const started = Date.now();\n  try {\n    return ${call};\n  } finally {\n    console.error(\`network call: \${Date.now() - started} ms\`);\n  }\n}\n`;

const NETWORK: Record<string, Program & { error: RegExp }> = {
  'python: urllib.request.urlopen resolves example.com': {
    language: 'python',
    code: python('import urllib.request', 'urllib.request.urlopen("http://example.com").status'),
    error: /URLError: <urlopen error \[Errno -3\] Temporary failure in name resolution>/,
  },
  'python: requests.get(https://example.com, timeout=None)': {
    language: 'python',
    code: python('import requests', 'requests.get("https://example.com", timeout=None).status_code'),
    error: /NameResolutionError/,
  },
  'python: urllib connects to a raw IP address': {
    language: 'python',
    code: python('import urllib.request', 'urllib.request.urlopen("http://93.184.216.34/").status'),
    error: /URLError: <urlopen error \[Errno 101\] Network is unreachable>/,
  },
  'nodejs: dns.lookup': {
    language: 'nodejs',
    code: node("const dns = require('dns');", "await dns.promises.lookup('example.com')"),
    error: /Error: getaddrinfo EAI_AGAIN example\.com/,
  },
  'nodejs: fetch(http://example.com)': {
    language: 'nodejs',
    code: node('', "(await fetch('http://example.com')).status"),
    error: /TypeError: fetch failed[\s\S]*getaddrinfo EAI_AGAIN example\.com/,
  },
  'nodejs: axios.get resolves example.com': {
    language: 'nodejs',
    code: node("const axios = require('axios');", "(await axios.get('http://example.com')).status"),
    error: /getaddrinfo EAI_AGAIN example\.com/,
  },
  'nodejs: fetch connects to a raw IP address': {
    language: 'nodejs',
    code: node('', "(await fetch('http://93.184.216.34/')).status"),
    error: /TypeError: fetch failed[\s\S]*connect ENETUNREACH 93\.184\.216\.34:80/,
  },
};

/** What the program printed about its own network call, in ms. */
function callMs(stderr: string): number {
  const m = /network call: (\d+) ms/.exec(stderr);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

test('network access fails at once (the call itself within 3 s, no resolver timeout) with a non-zero exit and the error on stderr', async () => {
  const entries = Object.entries(NETWORK);
  const replies = await Promise.all(entries.map(([, program]) => postLocalRun(token, program)));
  const summary = entries.map(
    ([name], i) =>
      `${name}: call ${callMs(replies[i]!.body.stderr)} ms (program ${replies[i]!.body.time_used_ms} ms), ${replies[i]!.body.stderr.split('\n').find((line) => /Error/.test(line)) ?? ''}`,
  );
  console.log(`  program time to fail:\n    ${summary.join('\n    ')}`);
  for (const [i, [name, { error }]] of entries.entries()) {
    const body = contract(replies[i]!);
    assert.is(body.status, 'program_error', `${name}: ${JSON.stringify(body)}`);
    assert.ok(body.exit_code !== 0, name);
    assert.match(body.stderr, error, `${name}: ${body.stderr}`);
    assert.ok(callMs(body.stderr) < FAIL_FAST_MS, `${name}: the call failed after ${callMs(body.stderr)} ms`);
  }
});

test.run();
