// A list-watch cache that survives API server restarts and network errors: client-node's informer stops on
// an error, so this restarts it with capped exponential backoff. It also reports how it is doing (synced,
// watching, down for how long), for the controller's /readyz and /healthz.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  type Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { TrackedWatch } from './tracked-watch.ts';

/** Any object with Kubernetes metadata; custom resources arrive as plain JSON (timestamps are strings). */
export type Watched = { metadata?: { name?: string; namespace?: string } };

/** How one informer is doing. */
export interface InformerHealth {
  what: string;
  /** A list has completed since start, so the cache holds every object. */
  synced: boolean;
  /** A watch is open now. */
  watching: boolean;
  /** Milliseconds since a watch was last open (since start if none has opened yet); 0 while one is. */
  downForMs: number;
  /** Why the last list or watch failed, if one has. */
  lastError: string | undefined;
}

export interface ResilientInformer<T extends Watched> {
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  health(): InformerHealth;
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
  let synced = false;
  let lastError: string | undefined;
  const list = async () => {
    const result = await opts.list();
    synced = true;
    return result as unknown as KubernetesListObject<KubernetesObject>;
  };
  const watch = new TrackedWatch(opts.kubeConfig);
  const informer = new ListWatch<KubernetesObject>(
    opts.path,
    // ListWatch only ever calls watch().
    watch as unknown as Watch,
    list,
    false,
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
    lastError = String(err);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures++);
    opts.log.warn({ err: String(err), what: opts.what, retryInMs: delay }, 'watch failed; restarting');
    retry = setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined);
    }, delay);
  });
  return {
    list: () => informer.list() as unknown as readonly T[],
    get: (name, namespace) => informer.get(name, namespace) as T | undefined,
    health: () => ({
      what: opts.what,
      synced,
      watching: watch.watching,
      downForMs: watch.downForMs,
      lastError,
    }),
    start: async () => {
      stopped = false;
      watch.resetDownClock();
      await informer.start();
    },
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await informer.stop();
    },
  };
}
