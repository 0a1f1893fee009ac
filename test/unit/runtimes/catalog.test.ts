// Runtimes as data: the SandboxRuntime schema and CRD, and the pure lookups the API and the controller share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSandboxRuntimeCrd } from '../../../src/coderun/crd.ts';
import { type SandboxRuntime, SandboxRuntimeSpec } from '../../../src/coderun/sandbox-runtime.ts';
import {
  builtinRuntimes,
  RuntimeSet,
  runtimeFrom,
  unknownRuntimeMessage,
} from '../../../src/runtimes/catalog.ts';

const IMAGES = { python: 'coderun/sandbox-python:1', nodejs: 'coderun/sandbox-nodejs:1' };
const BUILTINS = builtinRuntimes(IMAGES);

function resource(name: string, spec: Partial<SandboxRuntime['spec']> = {}): SandboxRuntime {
  return {
    apiVersion: 'coderun.dev/v1alpha1',
    kind: 'SandboxRuntime',
    metadata: { name },
    spec: { image: `example/${name}:1`, programFile: 'main.rb', policy: 'none', ...spec },
  };
}

test('a SandboxRuntime spec needs an image, a plain program file and one of the known policies', () => {
  const valid = { image: 'ruby:3', programFile: 'main.rb', policy: 'none', aliases: ['rb'] };
  assert.ok(SandboxRuntimeSpec.safeParse(valid).success);
  for (const [field, value] of [
    ['programFile', '../etc/passwd'],
    ['programFile', 'dir/main.rb'],
    ['policy', 'ruby'],
    ['image', ''],
    ['aliases', ['Not A Name']],
  ] as const) {
    const parsed = SandboxRuntimeSpec.safeParse({ ...valid, [field]: value });
    assert.not.ok(parsed.success, `${field}=${JSON.stringify(value)} accepted`);
    assert.is(parsed.error?.issues[0]?.path[0], field);
  }
});

test('the SandboxRuntime CRD is cluster-scoped, has no status, and kubectl get shows what a runtime is', () => {
  const crd = buildSandboxRuntimeCrd() as {
    spec: {
      scope: string;
      versions: {
        subresources?: unknown;
        additionalPrinterColumns: { name: string }[];
        schema: { openAPIV3Schema: { properties: Record<string, unknown> } };
      }[];
    };
  };
  const version = crd.spec.versions[0]!;
  assert.is(crd.spec.scope, 'Cluster');
  assert.is(version.subresources, undefined);
  assert.not.ok('status' in version.schema.openAPIV3Schema.properties);
  assert.equal(
    version.additionalPrinterColumns.map((c) => c.name),
    ['Aliases', 'Policy', 'File', 'Image', 'Max-CPU', 'Max-Memory', 'Age'],
  );
});

test('a language resolves by name or alias, trimmed and in any case', () => {
  const set = new RuntimeSet(BUILTINS);
  assert.is(set.resolve('python')?.name, 'python');
  assert.is(set.resolve(' PY ')?.name, 'python');
  assert.is(set.resolve('JS')?.name, 'nodejs');
});

test('a language that is no name or alias, an inherited property name included, resolves to nothing', () => {
  const set = new RuntimeSet(BUILTINS);
  for (const unknown of ['ruby', '', '__proto__', 'constructor', 'toString'])
    assert.is(set.resolve(unknown), undefined, unknown);
});

test("the built-in runtimes accept exactly RAGFlow's languages and coderun's aliases, in the order /run lists them", () => {
  assert.equal(new RuntimeSet(BUILTINS).acceptedNames(), [
    'python',
    'python3',
    'py',
    'nodejs',
    'javascript',
    'js',
    'node',
  ]);
});

test('the built-in runtimes serve only while the cluster registers none', () => {
  assert.equal(RuntimeSet.of([], BUILTINS).names(), ['python', 'nodejs']);
  const registered = RuntimeSet.of([resource('ruby', { aliases: ['rb'] })], BUILTINS);
  assert.equal(registered.names(), ['ruby']);
  assert.is(registered.resolve('python'), undefined);
  assert.is(registered.resolve('rb')?.image, 'example/ruby:1');
});

test('python and nodejs are listed first, the rest by name', () => {
  const set = RuntimeSet.of(
    [resource('ruby'), resource('nodejs'), resource('bash'), resource('python')],
    BUILTINS,
  );
  assert.equal(set.names(), ['python', 'nodejs', 'bash', 'ruby']);
});

const runtimesSharingAliases = () =>
  RuntimeSet.of(
    [
      resource('python', { aliases: ['py'] }),
      resource('py', { aliases: ['snake'] }),
      resource('zsh', { aliases: ['sh'] }),
      resource('bash', { aliases: ['sh'] }),
    ],
    BUILTINS,
  );

test("a runtime's name beats another's alias", () => {
  assert.is(runtimesSharingAliases().resolve('py')?.name, 'py');
});

test('of two runtimes claiming one alias the first listed has it', () => {
  const set = runtimesSharingAliases();
  assert.is(set.resolve('sh')?.name, 'bash');
  assert.equal(set.acceptedNames(), ['python', 'bash', 'sh', 'py', 'snake', 'zsh']);
});

test("a resource's resources become millicores and bytes, its policy none becomes no policy", () => {
  const runtime = runtimeFrom(
    resource('ruby', { resources: { default: { cpu: '500m', memory: '128Mi' }, max: { cpu: '1' } } }),
  );
  assert.equal(
    [runtime.policy, runtime.defaults, runtime.max],
    [null, { cpuMillis: 500, memoryBytes: 128 * 2 ** 20 }, { cpuMillis: 1000 }],
  );
  assert.is(runtimeFrom(resource('py3', { policy: 'python' })).policy, 'python');
});

test("the chart's typescript runtime: the Node.js image with main.ts, found by name or ts, checked by the typescript policy", () => {
  const typescript = resource('typescript', {
    aliases: ['ts'],
    image: 'coderun/sandbox-nodejs:1',
    programFile: 'main.ts',
    policy: 'typescript',
  });
  assert.ok(SandboxRuntimeSpec.safeParse(typescript.spec).success);
  const set = RuntimeSet.of(
    [
      resource('python', { aliases: ['python3', 'py'], policy: 'python' }),
      resource('nodejs', { aliases: ['javascript', 'js', 'node'], policy: 'javascript' }),
      typescript,
    ],
    BUILTINS,
  );
  for (const language of ['typescript', 'ts', ' TS ', 'TypeScript']) {
    const runtime = set.resolve(language);
    assert.equal(
      [runtime?.name, runtime?.image, runtime?.programFile, runtime?.policy],
      ['typescript', 'coderun/sandbox-nodejs:1', 'main.ts', 'typescript'],
      language,
    );
  }
  assert.equal(set.acceptedNames(), [
    'python',
    'python3',
    'py',
    'nodejs',
    'javascript',
    'js',
    'node',
    'typescript',
    'ts',
  ]);
});

test('the refusal of an unknown language names it and lists the registered runtimes', () => {
  assert.is(
    unknownRuntimeMessage('cobol', RuntimeSet.of([resource('ruby')], BUILTINS)),
    'no SandboxRuntime named "cobol"; registered: ruby',
  );
  assert.is(
    unknownRuntimeMessage('cobol', new RuntimeSet([])),
    'no SandboxRuntime named "cobol"; registered: none',
  );
});

test.run();
