// How the benchmarks reach `make up`'s cluster: its kubectl and kubeconfig, and the API's bearer token.
// Functions rather than constants, so a benchmark that needs only the token does not look kubectl up.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { LOCAL_CLUSTER } from '../hack/local-cluster.ts';

const REPO = join(import.meta.dirname, '..');

/** The bearer token the API was deployed with. */
export function localApiToken(): string {
  return execFileSync(join(REPO, 'hack', 'deploy.sh'), ['token'], { encoding: 'utf8' }).trim();
}

/** kubectl on the local cluster (or $KUBECONFIG's): runs it with the given arguments and returns its stdout. */
export function localKubectl(): (...args: string[]) => string {
  // build-upstream.sh prints the directory the tool is cached in.
  const kubectl = join(
    execFileSync(join(REPO, 'hack', 'build-upstream.sh'), ['k8s', 'kubectl'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1) as string,
    'kubectl',
  );
  const kubeconfig = process.env.KUBECONFIG ?? LOCAL_CLUSTER.kubeconfig;
  // The API server's /metrics can outgrow execFileSync's 1 MiB default.
  return (...args) =>
    execFileSync(kubectl, ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    });
}
