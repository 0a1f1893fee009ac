// The S3 harness against the real server it starts (versitygw, the chart's embedded artifacts store):
// objects go in, come back byte for byte, are listed by prefix and deleted through @aws-sdk/client-s3,
// wrong credentials are refused, and stop() leaves no process and no directory behind.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type S3Server, s3ClientFor, startS3Server } from '../harness/s3-server.ts';

let server: S3Server;
let s3: S3Client;

test.before(async () => {
  server = await startS3Server();
  s3 = s3ClientFor(server);
});

test.after(async () => {
  s3?.destroy();
  await server?.stop();
});

const statusOf = async (promise: Promise<unknown>): Promise<number | undefined> => {
  try {
    await promise;
    return 200;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
    throw err;
  }
};

test('an object put is read back with its bytes and content type', async () => {
  const Bucket = server.bucket;
  await s3.send(
    new PutObjectCommand({ Bucket, Key: 'runs/a/out.txt', Body: 'hello\n', ContentType: 'text/plain' }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'runs/a/out.txt' }));
  assert.is(await got.Body?.transformToString(), 'hello\n');
  assert.is(got.ContentType, 'text/plain');
  assert.is(got.ContentLength, 6);
});

test('a 10 MiB object round-trips byte for byte', async () => {
  const Bucket = server.bucket;
  const body = randomBytes(10 * 2 ** 20);
  await s3.send(new PutObjectCommand({ Bucket, Key: 'runs/b/big.bin', Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'runs/b/big.bin' }));
  assert.ok(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(body));
});

test('objects are listed by prefix, with their sizes', async () => {
  const Bucket = server.bucket;
  for (const [Key, Body] of [
    ['runs/c/one.txt', '1'],
    ['runs/c/sub/two.txt', '22'],
    ['runs/d/other.txt', '333'],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket, Key, Body }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'runs/c/' }));
  assert.equal(
    listed.Contents?.map((o) => [o.Key, o.Size]),
    [
      ['runs/c/one.txt', 1],
      ['runs/c/sub/two.txt', 2],
    ],
  );
});

test('a deleted object is gone: 404 on read, absent from the listing', async () => {
  const Bucket = server.bucket;
  await s3.send(new PutObjectCommand({ Bucket, Key: 'runs/e/gone.txt', Body: 'x' }));
  await s3.send(new DeleteObjectCommand({ Bucket, Key: 'runs/e/gone.txt' }));
  assert.is(await statusOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'runs/e/gone.txt' }))), 404);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'runs/e/' }));
  assert.is(listed.KeyCount, 0);
});

test('objects live as files under dataDir/<bucket>', async () => {
  await s3.send(new PutObjectCommand({ Bucket: server.bucket, Key: 'runs/f/file.txt', Body: 'on disk' }));
  assert.is(readFileSync(`${server.dataDir}/${server.bucket}/runs/f/file.txt`, 'utf8'), 'on disk');
});

test('a request signed with the wrong secret is refused', async () => {
  const wrong = s3ClientFor({ ...server, secretAccessKey: 'not-the-secret' });
  try {
    assert.is(await statusOf(wrong.send(new ListObjectsV2Command({ Bucket: server.bucket }))), 403);
  } finally {
    wrong.destroy();
  }
});

test('stop() ends the server and removes its directory; a second server starts on its own port', async () => {
  const other = await startS3Server({ bucket: 'second' });
  assert.is.not(other.endpoint, server.endpoint);
  assert.ok(readdirSync(other.dataDir).includes('second'));
  await other.stop();
  assert.not.ok(existsSync(other.dataDir));
  // Connection refused: nothing answers, not even with an S3 error.
  const client = s3ClientFor(other);
  const answer = await client.send(new ListObjectsV2Command({ Bucket: 'second' })).then(
    () => 'a listing',
    (err: unknown) => (err instanceof S3ServiceException ? `S3 error ${err.name}` : 'no answer'),
  );
  client.destroy();
  assert.is(answer, 'no answer');
});

test.run();
