// Image names normalised as containerd's CRI does (hack/lib/image-reference.ts), proved on the test vectors
// of github.com/distribution/reference v0.6.0 (normalize_test.go) that the port follows, other registries
// named by a neutral host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normaliseImageName, parseDockerRef, parseNormalizedNamed } from '../../hack/lib/image-reference.ts';

const DIGEST = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
const HEX64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';

test('ParseDockerRef: the default domain, library/ and :latest are added; a digest drops the tag', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['registry.example/library/busybox', 'registry.example/library/busybox:latest'],
    [`registry.example/library/busybox:latest@${DIGEST}`, `registry.example/library/busybox@${DIGEST}`],
  ];
  for (const [input, expected] of cases) assert.is(parseDockerRef(input), expected, input);
});

test('the domain: localhost, a name with a dot or port, or with capitals is one; index.docker.io is docker.io', () => {
  const cases: [string, string, string][] = [
    ['localhost/fooo', 'localhost', 'fooo'],
    ['localhost/fooo/bar', 'localhost', 'fooo/bar'],
    ['LOCALDOMAIN/fooo', 'LOCALDOMAIN', 'fooo'],
    ['LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN', 'fooo/bar'],
    ['fooo/bar', 'docker.io', 'fooo/bar'],
    ['index.docker.io/fooo/bar', 'docker.io', 'fooo/bar'],
    ['ubuntu', 'docker.io', 'library/ubuntu'],
    ['index.docker.io/ubuntu', 'docker.io', 'library/ubuntu'],
    ['nonlibrary/ubuntu', 'docker.io', 'nonlibrary/ubuntu'],
    ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker'],
    ['[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker'],
    ['192.168.0.1', 'docker.io', 'library/192.168.0.1'],
  ];
  for (const [input, domain, path] of cases) {
    const reference = parseNormalizedNamed(input);
    assert.equal([reference.domain, reference.path], [domain, path], input);
  }
});

test('names the grammar admits', () => {
  const valid = [
    'docker/docker',
    'library/debian',
    'debian',
    'localhost/library/debian',
    'localhost/debian',
    'LOCALDOMAIN/library/debian',
    'LOCALDOMAIN/debian',
    'docker.io/docker/docker',
    'docker.io/library/debian',
    'docker.io/debian',
    'index.docker.io/docker/docker',
    'index.docker.io/library/debian',
    'index.docker.io/debian',
    '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian',
    '192.168.0.1',
    '192.168.0.1:80',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    `docker.io/${HEX64}`,
    'Docker/docker',
    'DOCKER/docker',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
  ];
  for (const name of valid) parseNormalizedNamed(name);
});

test('names the grammar refuses', () => {
  const invalid = [
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    HEX64,
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
    'foo:bar:baz',
    'foo:-bad',
    'foo:',
    `busybox@${DIGEST.toUpperCase()}`,
    'busybox@md5:e6693c20186f837fc393390135d8a598',
  ];
  for (const name of invalid) assert.throws(() => parseNormalizedNamed(name), undefined, name);
});

test('errors say what is wrong: capitals in the path, a hexadecimal name, the format', () => {
  assert.throws(
    () => parseNormalizedNamed('docker/Docker'),
    /repository name \(docker\/Docker\) must be lowercase/,
  );
  assert.throws(() => parseNormalizedNamed(HEX64), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseNormalizedNamed('foo:bar:baz'), /^invalid reference format$/);
});

test('an image built here is named by a tag: a digest in its name is refused', () => {
  assert.is(normaliseImageName('coderun/sandbox-python:0.1.0'), 'docker.io/coderun/sandbox-python:0.1.0');
  assert.is(normaliseImageName('registry.example:5000/pause:3.10'), 'registry.example:5000/pause:3.10');
  assert.throws(() => normaliseImageName(`busybox@${DIGEST}`), /named by a tag, not a digest/);
});

test.run();
