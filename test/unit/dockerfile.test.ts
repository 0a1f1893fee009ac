// The Dockerfile reader of the local image builds (hack/lib/dockerfile.ts); that it reads the repository's
// own Dockerfiles as the builds need is test/component/runtimes/sandbox-images.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../../hack/lib/dockerfile.ts';

const dockerfile = (...lines: string[]) => `${lines.join('\n')}\n`;
const MINIMAL = ['FROM debian', 'USER 1:1', 'WORKDIR /work', 'ENTRYPOINT ["run"]'];

test('the final stage: entry point, command, user, work dir, env and copies', () => {
  const text = dockerfile(
    '# a comment',
    'FROM node:24 AS build',
    'ENV BUILD_ONLY=1',
    'COPY src ./src',
    '',
    'FROM node:24',
    'ENV NODE_ENV=production',
    'WORKDIR /app',
    'COPY package.json ./',
    'COPY --from=build /src/dist ./dist',
    'RUN npm ci',
    'USER 65532:65532',
    'ENTRYPOINT ["node", "/app/dist/main.js"]',
    'CMD ["api"]',
  );
  assert.equal(parseDockerfile(text), {
    entrypoint: ['node', '/app/dist/main.js'],
    cmd: ['api'],
    user: '65532:65532',
    workdir: '/app',
    env: ['NODE_ENV=production'],
    copies: [
      { from: '', sources: ['package.json'], destination: './' },
      { from: 'build', sources: ['/src/dist'], destination: './dist' },
    ],
  });
});

test('no CMD is null; the last USER, WORKDIR and ENTRYPOINT win', () => {
  const text = dockerfile(...MINIMAL, 'USER 2:2', 'WORKDIR /other', 'ENTRYPOINT ["again"]');
  const config = parseDockerfile(text);
  assert.is(config.cmd, null);
  assert.is(config.user, '2:2');
  assert.is(config.workdir, '/other');
  assert.equal(config.entrypoint, ['again']);
});

test('ENV takes several KEY=value pairs with quoted values, and a key set again keeps its place', () => {
  const text = dockerfile(...MINIMAL, 'ENV A=1 B="two words" C="it\'s" E=\'a b\'"c"', 'ENV D=x\\ y A=3');
  assert.equal(parseDockerfile(text).env, ['A=3', 'B=two words', "C=it's", 'E=a bc', 'D=x y']);
});

test('instructions continued over lines, with comment lines between, are read as one', () => {
  const text = dockerfile(
    ...MINIMAL,
    'ENV A=1 \\',
    '# inside',
    '    B=2',
    'RUN apt-get update && \\',
    '    apt-get install -y curl',
  );
  assert.equal(parseDockerfile(text).env, ['A=1', 'B=2']);
});

test('ENTRYPOINT and CMD in shell form run under /bin/sh -c, as Docker runs them', () => {
  const text = dockerfile('FROM debian', 'USER 1', 'WORKDIR /', 'ENTRYPOINT exec run --fast', 'CMD echo hi');
  const config = parseDockerfile(text);
  assert.equal(config.entrypoint, ['/bin/sh', '-c', 'exec run --fast']);
  assert.equal(config.cmd, ['/bin/sh', '-c', 'echo hi']);
});

test('COPY in JSON form, and a relative WORKDIR taken from the one before', () => {
  const text = dockerfile(...MINIMAL, 'WORKDIR app', 'COPY ["a file", "b", "/opt/x/"]');
  const config = parseDockerfile(text);
  assert.is(config.workdir, '/work/app');
  assert.equal(config.copies, [{ from: '', sources: ['a file', 'b'], destination: '/opt/x/' }]);
});

test('instructions are read whatever their case, as Docker reads them', () => {
  const text = dockerfile('from debian', 'user 1', 'workdir /w', 'entrypoint ["x"]', 'env A=1');
  assert.equal(parseDockerfile(text).env, ['A=1']);
});

test('an instruction the local build cannot honour is an error naming the file and line', () => {
  const options = { file: 'ctx/Dockerfile' };
  assert.throws(
    () => parseDockerfile(dockerfile(...MINIMAL, 'ARG VERSION'), options),
    /^ctx\/Dockerfile:5: unsupported instruction ARG/,
  );
  assert.throws(
    () => parseDockerfile(dockerfile(...MINIMAL, 'ADD x /x'), options),
    /:5: unsupported instruction ADD/,
  );
  assert.throws(
    () => parseDockerfile(dockerfile('FROM debian', 'COPY --chown=1 a /a', ...MINIMAL.slice(1)), options),
    /:2: COPY --chown=1 is not supported here/,
  );
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL, 'ENV A=$B')), /:5: ENV: variable substitution/);
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL, `WORKDIR \${HOME}`)), /:5: WORKDIR: variable/);
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL, 'ENV A 1')), /:5: write ENV as KEY=value/);
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL, 'ENV A="1')), /:5: an unclosed "/);
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL, 'COPY onlyone')), /:5: COPY needs a source/);
  assert.throws(
    () => parseDockerfile(dockerfile('# escape=`', ...MINIMAL)),
    /:1: the escape parser directive/,
  );
});

test('a continuation on the last line, no FROM, or a final stage without ENTRYPOINT, USER or WORKDIR is an error', () => {
  assert.throws(
    () => parseDockerfile(dockerfile(...MINIMAL, 'RUN true \\')),
    /:5: the last instruction ends/,
  );
  assert.throws(() => parseDockerfile(dockerfile(...MINIMAL.slice(1))), /no FROM/);
  // A stage's settings do not carry over into the next one.
  assert.throws(
    () => parseDockerfile(dockerfile(...MINIMAL, 'FROM debian', 'USER 1')),
    /the final stage needs ENTRYPOINT, WORKDIR/,
  );
});

test('a build from its context only refuses COPY --from, and one with no CMD refuses CMD', () => {
  const withFrom = dockerfile(...MINIMAL, 'COPY --from=build /a /b');
  assert.equal(parseDockerfile(withFrom).copies, [{ from: 'build', sources: ['/a'], destination: '/b' }]);
  assert.throws(
    () => parseDockerfile(withFrom, { contextOnly: true }),
    /:5: COPY --from is not supported for this/,
  );
  const withCmd = dockerfile(...MINIMAL, 'CMD ["x"]');
  assert.throws(() => parseDockerfile(withCmd, { noCmd: true }), /:5: CMD is not supported for this image/);
});

test.run();
