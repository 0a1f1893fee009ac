// A list-watch cache that survives API server restarts and network errors: client-node's informer stops on
// an error, so this restarts it with capped exponential backoff.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** Any object with Kubernetes metadata; custom resources arrive as plain JSON (timestamps are strings). */
export type Watched = { metadata?: { name?: string; namespace?: string } };

export interface ResilientInformer<T extends Watched> {
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface InformerOptions<T extends Watched> {
  kubeConfig: KubeConfig;
  path: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  onChange: (obj: T) => void;
  log: Logger;
  what: string;
}

const MAX_BACKOFF_MS = 30_000;

export function resilientInformer<T extends Watched>(opts: InformerOptions<T>): ResilientInformer<T> {
  const informer = makeInformer<KubernetesObject>(
    opts.kubeConfig,
    opts.path,
    opts.list as () => Promise<KubernetesListObject<KubernetesObject>>,
    opts.labelSelector,
  );
  const onChange = opts.onChange as (obj: KubernetesObject) => void;
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  informer.on('add', onChange);
  informer.on('update', onChange);
  informer.on('delete', onChange);
  informer.on('connect', () => {
    failures = 0;
  });
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures++);
    opts.log.warn({ err: String(err), what: opts.what, retryInMs: delay }, 'watch failed; restarting');
    retry = setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined);
    }, delay);
  });
  return {
    list: () => informer.list() as unknown as readonly T[],
    get: (name, namespace) => informer.get(name, namespace) as T | undefined,
    start: async () => {
      stopped = false;
      await informer.start();
    },
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await informer.stop();
    },
  };
}
