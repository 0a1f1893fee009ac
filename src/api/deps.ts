// What the API's route plugins are given: one typed set of dependencies, built by start.ts (or a test) and
// handed to buildServer, which adds the access control the protected plugins share.
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { ApiConfig } from '../config/api.ts';
import type { RuntimeSource } from '../runtimes/catalog.ts';
import type { AccessControl } from './access.ts';
import type { ApiMetrics } from './metrics.ts';
import type { RunServiceSeam } from './run-service.ts';

export interface ApiDeps {
  config: ApiConfig;
  /** Where finished runs' artifacts are read from; null when this installation keeps none. */
  store: ArtifactStore | null;
  service: RunServiceSeam;
  /** The runtimes requests may name (the cluster's SandboxRuntimes): validation and the policy to apply. */
  runtimes: RuntimeSource;
  metrics: ApiMetrics;
  /** Readiness: can this replica reach Kubernetes and watch its runs (and, if required, did the self-test pass)? */
  ready: () => Promise<{ ok: boolean; detail?: string }>;
  /** Liveness: false once this replica's watch has been down too long to recover by itself. */
  live: () => { ok: boolean; detail?: string };
  log: Logger;
}

/** The protected plugins' dependencies: one failed-authentication budget per address, one quota per token for both APIs. */
export interface RouteDeps extends ApiDeps {
  access: AccessControl;
}
