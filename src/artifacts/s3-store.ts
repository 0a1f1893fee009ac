// The artifact store on any S3-compatible server (the chart's embedded one, RAGFlow's MinIO, AWS S3,
// Ceph RGW). Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// from the chart's Secret, or a workload identity).
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ArtifactStoreConfig } from '../config/artifacts.ts';
import type { ServiceLookup } from '../kube/services.ts';
import { type ArtifactStore, folderOf, type StoredObject } from './store.ts';

type S3Config = Extract<ArtifactStoreConfig, { kind: 's3' }>;

// <service>.<namespace>.svc[.cluster.local], the name the chart gives its embedded store.
const SERVICE_HOST =
  /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?$/;

/**
 * The endpoint to dial: as configured, unless it names a Service that DNS cannot resolve (a cluster
 * without cluster DNS, such as the local one `make up` builds); then the Service's cluster IP.
 */
export async function reachableEndpoint(endpoint: string, lookup?: ServiceLookup): Promise<string> {
  if (!endpoint || !lookup) return endpoint;
  const url = new URL(endpoint);
  const service = SERVICE_HOST.exec(url.hostname);
  if (!service) return endpoint;
  try {
    await dnsLookup(url.hostname);
    return endpoint;
  } catch {
    const ip = await lookup(service[2] as string, service[1] as string);
    if (!ip) return endpoint;
    url.hostname = ip.includes(':') ? `[${ip}]` : ip;
    return url.toString().replace(/\/$/, '');
  }
}

function isMissing(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
}

export class S3ArtifactStore implements ArtifactStore {
  private readonly config: S3Config;
  private readonly lookup: ServiceLookup | undefined;
  private connecting: Promise<S3Client> | undefined;

  constructor(config: S3Config, lookup?: ServiceLookup) {
    this.config = config;
    this.lookup = lookup;
  }

  /** The client, made once its endpoint is known; a failed resolution is tried again next time. */
  private client(): Promise<S3Client> {
    this.connecting ??= reachableEndpoint(this.config.endpoint, this.lookup).then(
      (endpoint) =>
        new S3Client({
          region: this.config.region,
          forcePathStyle: this.config.forcePathStyle,
          ...(endpoint ? { endpoint } : {}),
          // Checksums the SDK would add by default need the whole body first or trailers some servers lack.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          maxAttempts: 3,
        }),
      (err: unknown) => {
        this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  private key(key: string): string {
    return `${this.config.prefix}${key}`;
  }

  location(key: string): string {
    return `s3://${this.config.bucket}/${this.key(key)}`;
  }

  async ready(): Promise<void> {
    const Bucket = this.config.bucket;
    try {
      await (await this.client()).send(new HeadBucketCommand({ Bucket }));
      return;
    } catch (err) {
      if (!this.config.createBucket || !isMissing(err)) throw err;
    }
    try {
      await (await this.client()).send(new CreateBucketCommand({ Bucket }));
    } catch (err) {
      // Another replica made it first.
      const name = err instanceof S3ServiceException ? err.name : '';
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
    }
  }

  async put(key: string, body: Readable, size: number, contentType: string): Promise<void> {
    await (await this.client()).send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: this.key(key),
        Body: body,
        ContentLength: size,
        ContentType: contentType,
      }),
    );
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const out = await (await this.client()).send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) }),
      );
      return { body: out.Body as Readable, size: out.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await (await this.client()).send(
        new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: this.key(prefix),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length) {
        await (await this.client()).send(
          new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  async listRunFolders(): Promise<string[]> {
    const folders = new Set<string>();
    let token: string | undefined;
    do {
      const page = await (await this.client()).send(
        new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: this.config.prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        const folder = o.Key ? folderOf(o.Key.slice(this.config.prefix.length)) : null;
        if (folder) folders.add(folder);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...folders];
  }
}

/** The store a configuration names, or null when artifacts are not kept. */
export function artifactStoreFrom(config: ArtifactStoreConfig, lookup?: ServiceLookup): ArtifactStore | null {
  return config.kind === 's3' ? new S3ArtifactStore(config, lookup) : null;
}
