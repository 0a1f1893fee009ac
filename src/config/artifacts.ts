// Where artifacts (files a program wrote) are kept, shared by the API (which reads them) and the
// controller (which writes and deletes them).
import { boolean, oneOf, type parseEnv, text } from './env.ts';

export type ArtifactStoreConfig =
  | { kind: 'none' }
  | {
      kind: 's3';
      /** Empty: the AWS endpoint for the region. */
      endpoint: string;
      region: string;
      bucket: string;
      /** Prepended to every key, e.g. "coderun/". */
      prefix: string;
      forcePathStyle: boolean;
      /** Create the bucket at start-up when it is missing (the chart's embedded store). */
      createBucket: boolean;
    };

export const artifactStoreShape = {
  CODERUN_ARTIFACTS_STORE: text('none'),
  CODERUN_ARTIFACTS_S3_ENDPOINT: text(''),
  CODERUN_ARTIFACTS_S3_REGION: text('us-east-1'),
  CODERUN_ARTIFACTS_S3_BUCKET: text('coderun-artifacts'),
  CODERUN_ARTIFACTS_S3_PREFIX: text(''),
  CODERUN_ARTIFACTS_S3_FORCE_PATH_STYLE: boolean(true),
  CODERUN_ARTIFACTS_S3_CREATE_BUCKET: boolean(false),
};

type ArtifactStoreEnv = ReturnType<typeof parseEnv<typeof artifactStoreShape>>;

export function artifactStoreConfig(e: ArtifactStoreEnv): ArtifactStoreConfig {
  const kind = oneOf('CODERUN_ARTIFACTS_STORE', e.CODERUN_ARTIFACTS_STORE, ['none', 's3']);
  if (kind === 'none') return { kind };
  return {
    kind,
    endpoint: e.CODERUN_ARTIFACTS_S3_ENDPOINT,
    region: e.CODERUN_ARTIFACTS_S3_REGION,
    bucket: e.CODERUN_ARTIFACTS_S3_BUCKET,
    prefix: e.CODERUN_ARTIFACTS_S3_PREFIX,
    forcePathStyle: e.CODERUN_ARTIFACTS_S3_FORCE_PATH_STYLE,
    createBucket: e.CODERUN_ARTIFACTS_S3_CREATE_BUCKET,
  };
}
