// Where artifact bytes live: never in the CodeRun (etcd refuses big objects and every watcher would get
// them), but in an object store, one folder per run. The layout is stated here once.
import type { Readable } from 'node:stream';

export interface StoredObject {
  body: Readable;
  size: number;
}

export interface ArtifactStore {
  /** Where a key lives, for the CodeRun status: s3://bucket/key. */
  location(key: string): string;
  /** Prepares the store (creates the bucket where configured); resolves when it answers. */
  ready(): Promise<void>;
  /** Streams `size` bytes into `key`; rejects when the body ends short or the store refuses. */
  put(key: string, body: Readable, size: number, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<StoredObject | null>;
  /** Deletes every object whose key starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Every run folder (`runFolder` values) that holds an object. */
  listRunFolders(): Promise<string[]>;
}

/** A run's folder: namespace, name and uid, so a newer run of the same name never sees older files. */
export function runFolder(namespace: string, name: string, uid: string): string {
  return `${namespace}/${name}/${uid}/`;
}

export function artifactKey(namespace: string, name: string, uid: string, file: string): string {
  return `${runFolder(namespace, name, uid)}${file}`;
}

/** The run's whole output (stdout, stderr, result) when its status keeps previews; no artifact name starts with ".". */
export function outputKey(namespace: string, name: string, uid: string): string {
  return `${runFolder(namespace, name, uid)}.coderun/output.json`;
}

/** The uid a run folder belongs to ("ns/name/uid/" → "uid"). */
export function folderUid(folder: string): string {
  return folder.split('/')[2] ?? '';
}

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The run folder a key lies in, or null for a key outside the layout: namespace/name/<a Kubernetes uid>/...
 * In a bucket shared with other data, only keys of that exact shape are ever taken for coderun's.
 */
export function folderOf(key: string): string | null {
  const parts = key.split('/');
  if (parts.length < 4 || !parts[0] || !parts[1] || !UID.test(parts[2] ?? '')) return null;
  return `${parts.slice(0, 3).join('/')}/`;
}
