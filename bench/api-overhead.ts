// Micro-benchmark (not a test): the API's own overhead per request, i.e. validation + static policy +
// CodeRun create, for 1 KiB and 100 KiB programs. Real API server (etcd + kube-apiserver), real HTTP on
// loopback, no controller (nothing runs). Prints figures; asserts nothing.  Run: make bench
import { startApi } from '../src/api/start.ts';
import { loadApiConfig } from '../src/config/api.ts';
import { makeClients } from '../src/kube/client.ts';
import { createLogger } from '../src/log.ts';
import { createPolicy, startPolicy } from '../src/policy/index.ts';
import { startControlPlane } from '../test/harness/control-plane.ts';
import { program, stats } from './programs.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const WARMUP = 5;

const plane = await startControlPlane({ crdDir: new URL('../crds', import.meta.url).pathname });
try {
  const kube = makeClients(plane.kubeConfig);
  await kube.core.createNamespace({ body: { metadata: { name: 'bench' } } });
  const config = loadApiConfig({
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
    CODERUN_RUN_NAMESPACE: 'bench',
    SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED: 'true',
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: '100000/minute',
    SANDBOX_RUN_RATE_LIMIT: '100000/minute',
  });
  const api = await startApi({
    config,
    kube,
    policy: startPolicy(
      { profile: 'strict', workers: 2, budgetMs: 1000, heapMb: 128 },
      createLogger('warn', 'bench'),
    ).check,
    log: createLogger('warn', 'bench'),
  });
  const address = api.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/runs`;
  const policy = createPolicy('strict');
  console.log(
    `API overhead per request (validation + policy + CodeRun create), ${REQUESTS} sequential requests each`,
  );
  console.log('language  size     policy-only p50   request mean    p50      p95      max   (ms)');
  for (const language of ['python', 'nodejs'] as const) {
    for (const size of [1024, 100 * 1024]) {
      const source = program(size, language);
      const body = JSON.stringify({ language, source, arguments: { n: 10 } });
      const policyTimes: number[] = [];
      const requestTimes: number[] = [];
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const t0 = performance.now();
        policy(language, source);
        const t1 = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const t2 = performance.now();
        if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        if (i >= WARMUP) {
          policyTimes.push(t1 - t0);
          requestTimes.push(t2 - t1);
        }
      }
      const p = stats(policyTimes);
      const r = stats(requestTimes);
      const f = (n: number) => n.toFixed(1).padStart(7);
      console.log(
        `${language.padEnd(9)} ${String(size / 1024).padStart(3)} KiB ${f(p.p50)}          ${f(r.mean)} ${f(r.p50)} ${f(r.p95)} ${f(r.max)}`,
      );
    }
  }
  await api.stop();
} finally {
  await plane.stop();
}
