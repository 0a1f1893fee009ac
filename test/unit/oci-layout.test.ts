// The JSON and digests of the OCI layouts hack/oci-image.sh packs (hack/lib/oci-layout.ts). The expected
// texts are those the jq version of the script wrote, so the layouts keep their digests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  dockerManifest,
  imageConfig,
  imageIndex,
  imageManifest,
  jsonLine,
  parseImageSettings,
  refName,
  sha256Digest,
} from '../../hack/lib/oci-layout.ts';

const OPERATOR_OPTIONS = [
  '--arch',
  'amd64',
  '--entrypoint',
  '["node","/app/dist/main.js"]',
  '--user',
  '65532:65532',
  '--workdir',
  '/app',
  '--label',
  'org.opencontainers.image.version=0.1.0',
  '--label',
  'a=b=c',
  '--label',
  'a=again',
  '--cmd',
  '["api"]',
  '--env',
  'NODE_ENV=production',
  '--env',
  'X=a=b',
];
const DIFF_ID = 'sha256:e02d2e178fa5c3bbac499f8e7d1345a9df1d6547d1b25e309ae39e7ef734fafc';
const LAYER = {
  digest: 'sha256:4657dc99922a95a7b1f7c5094315fab84ebb02d445ab77afe0221d21188e0104',
  size: 312,
};

test('the image config as the jq script wrote it, byte for byte, so its digest is the same', () => {
  const text = jsonLine(imageConfig(parseImageSettings(OPERATOR_OPTIONS), DIFF_ID));
  assert.is(
    text,
    '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","NODE_ENV=production","X=a=b"],"Entrypoint":["node","/app/dist/main.js"],"Cmd":["api"],"User":"65532:65532","WorkingDir":"/app","Labels":{"org.opencontainers.image.version":"0.1.0","a":"again"}},"rootfs":{"type":"layers","diff_ids":["sha256:e02d2e178fa5c3bbac499f8e7d1345a9df1d6547d1b25e309ae39e7ef734fafc"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"hack/oci-image.sh"}]}\n',
  );
  assert.is(sha256Digest(text), 'sha256:e3cc7030ae657fdc9ee32a5feee254ab779a368efaa0551123dc8ce50cc0b40e');
});

test('the manifest, index and manifest.json name the blobs by digest and size', () => {
  const config = {
    digest: 'sha256:e3cc7030ae657fdc9ee32a5feee254ab779a368efaa0551123dc8ce50cc0b40e',
    size: 545,
  };
  const manifest = jsonLine(imageManifest(config, LAYER));
  assert.is(
    sha256Digest(manifest),
    'sha256:677b86865d64a032bddd56a53cf94cd70ded1ad31c42d702f557f2233b2440a0',
  );
  assert.is(Buffer.byteLength(manifest), 402);
  const index = imageIndex(
    { digest: sha256Digest(manifest), size: 402 },
    'amd64',
    'docker.io/coderun/operator:0.1.0',
  );
  assert.is(
    jsonLine(index),
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:677b86865d64a032bddd56a53cf94cd70ded1ad31c42d702f557f2233b2440a0","size":402,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"docker.io/coderun/operator:0.1.0","org.opencontainers.image.ref.name":"0.1.0"}}]}\n',
  );
  assert.is(
    jsonLine(dockerManifest(config, LAYER, 'coderun/operator:0.1.0')),
    '[{"Config":"blobs/sha256/e3cc7030ae657fdc9ee32a5feee254ab779a368efaa0551123dc8ce50cc0b40e","RepoTags":["coderun/operator:0.1.0"],"Layers":["blobs/sha256/4657dc99922a95a7b1f7c5094315fab84ebb02d445ab77afe0221d21188e0104"]}]\n',
  );
});

test('settings not given are left out of the config; PATH is added unless an --env sets it', () => {
  const config = imageConfig(parseImageSettings(['--arch', 'arm64', '--entrypoint', '/pause']), DIFF_ID) as {
    config: object;
  };
  assert.equal(config.config, {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Entrypoint: ['/pause'],
  });
  assert.equal(parseImageSettings(['--env', 'PATH=/bin', '--env', 'A=1']).env, ['PATH=/bin', 'A=1']);
});

test('the creation time is the epoch unless given; a later option wins', () => {
  assert.is(parseImageSettings([]).created, '1970-01-01T00:00:00Z');
  const settings = parseImageSettings(['--created', '2026-01-02T03:04:05Z', '--user', '1', '--user', '2']);
  assert.is(settings.created, '2026-01-02T03:04:05Z');
  assert.is(settings.user, '2');
});

test('a wrong option is an error naming it', () => {
  assert.throws(() => parseImageSettings(['--env', 'NOEQ']), /--env wants KEY=VALUE, got 'NOEQ'/);
  assert.throws(() => parseImageSettings(['--label', 'x']), /--label wants KEY=VALUE/);
  assert.throws(() => parseImageSettings(['--entrypoint', '[1]']), /not a JSON array of strings: \[1\]/);
  assert.throws(() => parseImageSettings(['--cmd', '["a"']), /not a JSON array of strings/);
  assert.throws(() => parseImageSettings(['--foo', 'bar']), /unknown option --foo/);
  assert.throws(() => parseImageSettings(['--user']), /--user needs a value/);
});

test('JSON lines are compact and escape DEL as jq does', () => {
  assert.is(jsonLine({ a: ['x\u007fy', 'tab\t', 'é'] }), '{"a":["x\\u007fy","tab\\t","é"]}\n');
});

test('the ref.name annotation is the tag of the normalised name', () => {
  assert.is(refName('docker.io/coderun/operator:0.1.0'), '0.1.0');
  assert.is(refName('localhost:5000/team/app:latest'), 'latest');
});

test.run();
