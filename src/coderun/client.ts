// Typed access to CodeRun objects through the API server.
import type { KubeClients } from '../kube/client.ts';
import {
  API_VERSION,
  type CodeRun,
  type CodeRunSpec,
  type CodeRunStatus,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from './schema.ts';

const where = (namespace: string) => ({ group: GROUP, version: VERSION, namespace, plural: PLURAL });

export interface NewCodeRun {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  spec: CodeRunSpec;
}

export class CodeRunClient {
  private readonly kube: KubeClients;

  constructor(kube: KubeClients) {
    this.kube = kube;
  }

  async get(namespace: string, name: string): Promise<CodeRun> {
    return (await this.kube.custom.getNamespacedCustomObject({ ...where(namespace), name })) as CodeRun;
  }

  async list(
    namespace?: string,
    labelSelector?: string,
  ): Promise<{ items: CodeRun[]; metadata: { resourceVersion?: string } }> {
    const list = namespace
      ? await this.kube.custom.listNamespacedCustomObject({ ...where(namespace), labelSelector })
      : await this.kube.custom.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          labelSelector,
        });
    return list as { items: CodeRun[]; metadata: { resourceVersion?: string } };
  }

  async create(run: NewCodeRun): Promise<CodeRun> {
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: run.name,
        namespace: run.namespace,
        ...(run.labels ? { labels: run.labels } : {}),
      },
      spec: run.spec,
    };
    return (await this.kube.custom.createNamespacedCustomObject({
      ...where(run.namespace),
      body,
    })) as CodeRun;
  }

  /** Replaces .status; the resourceVersion makes a write based on stale data fail with 409. */
  async replaceStatus(run: CodeRun, status: CodeRunStatus): Promise<CodeRun> {
    const body = { apiVersion: API_VERSION, kind: KIND, metadata: run.metadata, status };
    return (await this.kube.custom.replaceNamespacedCustomObjectStatus({
      ...where(run.metadata.namespace),
      name: run.metadata.name,
      body,
    })) as CodeRun;
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.kube.custom.deleteNamespacedCustomObject({
      ...where(namespace),
      name,
      propagationPolicy: 'Background',
    });
  }
}
