// Kubernetes Events on an object, so `kubectl describe` tells a human what happened and why.
import { randomBytes } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from './client.ts';

/** The object an Event is about: its `involvedObject`, as Kubernetes calls it. */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

/** The involved object of an Event about `obj`, any object with Kubernetes metadata. */
export function involvedObjectOf(obj: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
}): InvolvedObject {
  const { name, namespace, uid, resourceVersion } = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion };
}

export class EventRecorder {
  private readonly kube: KubeClients;
  private readonly component: string;
  private readonly log: Logger;

  constructor(kube: KubeClients, component: string, log: Logger) {
    this.kube = kube;
    this.component = component;
    this.log = log;
  }

  /** Best effort: a lost event must never fail a reconcile. */
  async record(
    target: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const event: CoreV1Event = {
      metadata: {
        name: `${target.name.slice(0, 200)}.${randomBytes(8).toString('hex')}`,
        namespace: target.namespace,
      },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.name,
        namespace: target.namespace,
        uid: target.uid,
        ...(target.resourceVersion ? { resourceVersion: target.resourceVersion } : {}),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.kube.core.createNamespacedEvent({ namespace: target.namespace, body: event });
    } catch (err) {
      this.log.warn({ err, reason, object: `${target.namespace}/${target.name}` }, 'could not record event');
    }
  }
}
