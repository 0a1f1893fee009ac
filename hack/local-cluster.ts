// Where the local cluster (hack/cluster) is reached from this machine: hack/local-cluster.env, read once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from './env-file.ts';

const env = parseEnvFile(readFileSync(join(import.meta.dirname, 'local-cluster.env'), 'utf8'));

export const LOCAL_CLUSTER = {
  kubeconfig: env.LOCAL_CLUSTER_KUBECONFIG as string,
  nodeIp: env.LOCAL_CLUSTER_NODE_IP as string,
  auditLog: env.LOCAL_CLUSTER_AUDIT_LOG as string,
};
