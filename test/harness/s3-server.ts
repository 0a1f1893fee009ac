// A real S3-compatible server for tests: versitygw (the chart's embedded artifacts store) serving a fresh
// temporary directory on loopback, with its bucket created. The binary comes from hack/build-upstream.sh
// versitygw (built once into the cache by `make binaries`; a no-op afterwards).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildUpstream, freePorts } from './control-plane.ts';

export interface S3Server {
  /** http://127.0.0.1:<port>; address buckets by path (forcePathStyle: true). */
  endpoint: string;
  region: string;
  /** Created before startS3Server returns. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The directory served: one subdirectory per bucket, one file per object. */
  dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

interface StartOptions {
  bucket?: string;
  region?: string;
}

const HEALTH_PATH = '/health';

// Servers still running; a crashed test run must not leave them behind.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** An S3 client for the server with the SDK's defaults otherwise, as a test or the store would make. */
export function s3ClientFor(server: S3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
}

export async function startS3Server(opts: StartOptions = {}): Promise<S3Server> {
  const bin = join(buildUpstream('versitygw'), 'versitygw');
  const dir = mkdtempSync(join(tmpdir(), 'coderun-s3-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const logPath = join(dir, 'versitygw.log');
  const [port] = (await freePorts(1)) as [number];
  const region = opts.region ?? 'us-east-1';
  const accessKeyId = `test${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('hex');
  const endpoint = `http://127.0.0.1:${port}`;

  const log = openSync(logPath, 'a');
  // Credentials through the environment, as the chart passes them, so they never show in `ps`.
  const child = spawn(
    bin,
    ['--port', `127.0.0.1:${port}`, '--region', region, '--health', HEALTH_PATH, 'posix', dataDir],
    {
      stdio: ['ignore', log, log],
      env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    },
  );
  closeSync(log);
  // Unreferenced, so a test that never calls stop() still lets node exit (and the exit hook kill it).
  child.unref();
  live.add(child);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    const done = (why: string) => {
      exit ??= why;
      live.delete(child);
      resolve();
    };
    child.on('error', (err) => done(err.message));
    child.on('exit', (code, signal) => done(signal ? `signal ${signal}` : `code ${code}`));
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exit === undefined) {
        child.kill('SIGTERM');
        if (!(await within(exited, 10_000))) {
          child.kill('SIGKILL');
          await within(exited, 10_000);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const server: S3Server = {
    endpoint,
    region,
    bucket: opts.bucket ?? 'coderun-artifacts',
    accessKeyId,
    secretAccessKey,
    dataDir,
    stop,
  };
  try {
    const deadline = Date.now() + 30_000;
    while (!(await answers(`${endpoint}${HEALTH_PATH}`))) {
      if (exit !== undefined)
        throw new Error(`versitygw exited (${exit}) before answering${logTail(logPath)}`);
      if (Date.now() > deadline)
        throw new Error(`versitygw not answering on ${endpoint} after 30 s${logTail(logPath)}`);
      await sleep(50);
    }
    const client = s3ClientFor(server);
    try {
      await client.send(new CreateBucketCommand({ Bucket: server.bucket }));
    } finally {
      client.destroy();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return server;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false; // nothing listens yet
  }
}

/** Whether the promise settles within ms; a referenced timer keeps node alive while the child shuts down. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    return `; log ${path}:\n${lines}`;
  } catch {
    return '';
  }
}
