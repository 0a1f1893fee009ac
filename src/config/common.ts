// The settings both commands read (the chart gives the API and the controller the same values): each
// variable declared once, with its default and accepted form, and the part of the configuration it makes.
import { LIMITS } from '../coderun/schema.ts';
import { type ArtifactStoreConfig, artifactStoreConfig, artifactStoreShape } from './artifacts.ts';
import { atMost, LOG_LEVELS, oneOf, type parseEnv, seconds, text } from './env.ts';
import { type PolicyConfig, policyConfig, policyShape } from './policy.ts';

export interface CommonConfig {
  /** A run's timeout when it names none. */
  defaultTimeoutSeconds: number;
  /** The longest timeout a run gets, whatever it asks for. */
  maxTimeoutSeconds: number;
  ttlSecondsAfterFinished: number;
  policy: PolicyConfig;
  /** Where artifacts are kept: the controller writes and deletes them, the API reads them. */
  artifacts: ArtifactStoreConfig;
  /** /healthz fails once a watch has been down this long, so Kubernetes restarts the replica. */
  watchLivenessSeconds: number;
  logLevel: string;
}

export const commonShape = {
  POD_NAMESPACE: text('default'),
  POD_NAME: text(''),
  SANDBOX_TIMEOUT: seconds(10, 1, LIMITS.timeoutMaxSeconds),
  CODERUN_MAX_TIMEOUT: seconds(300, 1, LIMITS.timeoutMaxSeconds),
  CODERUN_TTL_SECONDS_AFTER_FINISHED: seconds(600, 0, LIMITS.ttlMaxSeconds),
  ...policyShape,
  ...artifactStoreShape,
  CODERUN_WATCH_LIVENESS: seconds(120, 10, 3600),
  /** The isolation self-test's ConfigMap in POD_NAMESPACE: the controller publishes there, the API may read it. */
  CODERUN_SELF_TEST_CONFIGMAP: text('coderun-self-test'),
  LOG_LEVEL: text('info'),
};

type CommonEnv = ReturnType<typeof parseEnv<typeof commonShape>>;

export function commonConfig(e: CommonEnv): CommonConfig {
  atMost('SANDBOX_TIMEOUT', e.SANDBOX_TIMEOUT, 'CODERUN_MAX_TIMEOUT', e.CODERUN_MAX_TIMEOUT);
  return {
    defaultTimeoutSeconds: e.SANDBOX_TIMEOUT,
    maxTimeoutSeconds: e.CODERUN_MAX_TIMEOUT,
    ttlSecondsAfterFinished: e.CODERUN_TTL_SECONDS_AFTER_FINISHED,
    policy: policyConfig(e),
    artifacts: artifactStoreConfig(e),
    watchLivenessSeconds: e.CODERUN_WATCH_LIVENESS,
    logLevel: oneOf('LOG_LEVEL', e.LOG_LEVEL, LOG_LEVELS),
  };
}
