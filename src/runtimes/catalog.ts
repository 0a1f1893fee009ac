// The runtimes an operator runs, as data (SandboxRuntime resources), and the pure lookups on them: which
// runtime a request's language names, what the refusal of an unknown one lists. Both the API (validation and
// the policy) and the controller (image, program file, resources) read runtimes only through a RuntimeSet.

import type { PolicyLanguage, SandboxRuntime } from '../coderun/sandbox-runtime.ts';
import { BUILTIN_LANGUAGES } from '../coderun/schema.ts';
import { millicores, parseQuantity } from '../kube/quantity.ts';

/** A sandbox size in the units the controller clamps in; an absent field is "not said here". */
export interface RuntimeSize {
  cpuMillis?: number;
  memoryBytes?: number;
}

/** One runtime, resolved from its resource (or built in). */
export interface Runtime {
  /** The canonical name: what a CodeRun created by the API carries, and what pool Pods are labelled with. */
  name: string;
  aliases: readonly string[];
  image: string;
  programFile: string;
  /** The static policy that checks its programs; null checks nothing. */
  policy: PolicyLanguage | null;
  defaults: RuntimeSize;
  max: RuntimeSize;
}

/** The images of the built-in runtimes, from the controller's configuration. */
export type BuiltinImages = Record<(typeof BUILTIN_LANGUAGES)[number], string>;

/**
 * What the operator runs while the cluster registers no SandboxRuntime at all (a fresh install without the
 * chart's runtimes, a test cluster): python and nodejs as they were before runtimes were data. As soon as one
 * SandboxRuntime exists, exactly the registered ones are served. The API, which never makes a sandbox, needs
 * no images: only the names, aliases and policies.
 */
export function builtinRuntimes(images: BuiltinImages = { python: '', nodejs: '' }): Runtime[] {
  return [
    {
      name: 'python',
      aliases: ['python3', 'py'],
      image: images.python,
      programFile: 'main.py',
      policy: 'python',
      defaults: {},
      max: {},
    },
    {
      name: 'nodejs',
      aliases: ['javascript', 'js', 'node'],
      image: images.nodejs,
      programFile: 'main.js',
      policy: 'javascript',
      defaults: {},
      max: {},
    },
  ];
}

function size(resources: { cpu?: string | undefined; memory?: string | undefined } | undefined): RuntimeSize {
  const cpu = resources?.cpu ? millicores(resources.cpu) : null;
  const memory = resources?.memory ? parseQuantity(resources.memory) : null;
  return {
    ...(cpu !== null && cpu > 0 ? { cpuMillis: cpu } : {}),
    ...(memory !== null && memory > 0 ? { memoryBytes: Math.ceil(memory) } : {}),
  };
}

/** A SandboxRuntime as the operator uses it. */
export function runtimeFrom(resource: SandboxRuntime): Runtime {
  const { spec } = resource;
  return {
    name: resource.metadata.name,
    aliases: spec.aliases ?? [],
    image: spec.image,
    programFile: spec.programFile,
    policy: spec.policy === 'none' ? null : spec.policy,
    defaults: size(spec.resources?.default),
    max: size(spec.resources?.max),
  };
}

// RAGFlow knows python and nodejs, in that order; /run's refusal lists them first, as it always has.
const FIRST: readonly string[] = BUILTIN_LANGUAGES;
const order = (a: Runtime, b: Runtime) => {
  const rank = (r: Runtime) => (FIRST.includes(r.name) ? FIRST.indexOf(r.name) : FIRST.length);
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
};

/** The runtimes in force, and the lookups on them. Immutable: a change in the cluster makes a new set. */
export class RuntimeSet {
  /** In listing order: python, nodejs, then the rest by name. */
  readonly runtimes: readonly Runtime[];
  // Maps: a language such as "__proto__" or "constructor" finds nothing.
  private readonly byName = new Map<string, Runtime>();
  private readonly byAlias = new Map<string, Runtime>();

  constructor(runtimes: readonly Runtime[]) {
    this.runtimes = [...runtimes].sort(order);
    for (const runtime of this.runtimes) this.byName.set(runtime.name, runtime);
    // A name beats an alias; of two runtimes claiming one alias, the first in listing order has it.
    for (const runtime of this.runtimes) {
      for (const alias of runtime.aliases) {
        if (!this.byName.has(alias) && !this.byAlias.has(alias)) this.byAlias.set(alias, runtime);
      }
    }
  }

  /** The registered SandboxRuntimes, or the built-in ones when the cluster registers none. */
  static of(resources: readonly SandboxRuntime[], builtins: readonly Runtime[]): RuntimeSet {
    return new RuntimeSet(resources.length ? resources.map(runtimeFrom) : builtins);
  }

  /** The runtime a language names (its name or an alias; trimmed, any case), or undefined. */
  resolve(language: string): Runtime | undefined {
    const key = language.trim().toLowerCase();
    return this.byName.get(key) ?? this.byAlias.get(key);
  }

  /** Every name a request may use, each runtime's name followed by its aliases. */
  acceptedNames(): string[] {
    return this.runtimes.flatMap((r) => [r.name, ...r.aliases.filter((a) => this.byAlias.get(a) === r)]);
  }

  /** The names of the runtimes, in listing order. */
  names(): string[] {
    return this.runtimes.map((r) => r.name);
  }
}

/** Why a language is refused: what it named, and what is registered. */
export function unknownRuntimeMessage(language: string, runtimes: RuntimeSet): string {
  const registered = runtimes.names();
  return `no SandboxRuntime named ${JSON.stringify(language)}; registered: ${registered.length ? registered.join(', ') : 'none'}`;
}

/** Anything that can say which runtimes are in force now (the cache of SandboxRuntimes, or a fixed set in tests). */
export interface RuntimeSource {
  current(): RuntimeSet;
}

export function fixedRuntimes(set: RuntimeSet): RuntimeSource {
  return { current: () => set };
}
