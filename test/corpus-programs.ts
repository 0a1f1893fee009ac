// The red-team corpus (test/corpus), as the unit tier (the static policy) and the end-to-end tier (POST /run)
// both read it. Attacks are complete programs that run their payload when nothing stops them; the header of
// each file states its class (process, native, eval, internals, deserialise, socket) and whether it is a
// textbook form or a targeted one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Language } from '../src/coderun/schema.ts';

const ROOT = join(import.meta.dirname, 'corpus');
const EXTENSIONS: Record<Language, string> = { python: 'py', nodejs: 'js' };

export interface CorpusProgram {
  /** `<language>/<file>`, e.g. `python/os_system.py`. */
  name: string;
  language: Language;
  source: string;
  attack: boolean;
  /** process, native, eval, internals, deserialise or socket; `benign` for an ordinary program. */
  attackClass: string;
  /** textbook or targeted; `benign` for an ordinary program. */
  form: string;
}

/** Every attack, then every ordinary program, each language's files in name order. */
export function loadCorpus(): CorpusProgram[] {
  const programs: CorpusProgram[] = [];
  for (const kind of ['attacks', 'benign'] as const) {
    for (const [language, extension] of Object.entries(EXTENSIONS) as [Language, string][]) {
      const dir = join(ROOT, kind, language);
      for (const file of readdirSync(dir)
        .filter((f) => f.endsWith(`.${extension}`))
        .sort()) {
        const source = readFileSync(join(dir, file), 'utf8');
        const header = /^(?:#|\/\/) corpus: (.*)$/m.exec(source.split('\n').slice(0, 5).join('\n'))?.[1];
        if (!header) throw new Error(`${kind}/${language}/${file} has no "corpus:" header`);
        if (header.startsWith('attack') !== (kind === 'attacks'))
          throw new Error(`${kind}/${language}/${file}: the header says ${header}`);
        const fields = Object.fromEntries([...header.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
        programs.push({
          name: `${language}/${file}`,
          language,
          source,
          attack: kind === 'attacks',
          attackClass: fields.class ?? 'benign',
          form: fields.form ?? 'benign',
        });
      }
    }
  }
  return programs;
}

export const isProcessOrNative = (p: CorpusProgram): boolean =>
  p.attackClass === 'process' || p.attackClass === 'native';

/** An input that once stalled or killed the API (issue 15), described in test/corpus/pathological.json. */
export interface PathologicalInput {
  name: string;
  language: Language;
  repeat?: string;
  times?: number;
  junk?: number;
  prefix?: string;
  suffix?: string;
}

export function loadPathological(): PathologicalInput[] {
  return (
    JSON.parse(readFileSync(join(ROOT, 'pathological.json'), 'utf8')) as { inputs: PathologicalInput[] }
  ).inputs;
}

/** `bytes` characters of unbalanced brackets and punctuation: each parser's error recovery works through all of it. */
export const junk = (bytes: number): string =>
  Array.from({ length: bytes }, (_, i) => '([{:;,)]}'[(i * 7) % 9]).join('');

/** The program an input describes: a unit repeated between a prefix and a suffix, or junk punctuation. */
export function buildPathological(input: PathologicalInput): string {
  if (input.junk !== undefined) return junk(input.junk);
  return `${input.prefix ?? ''}${(input.repeat ?? '').repeat(input.times ?? 0)}${input.suffix ?? ''}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export const percent = (part: number, whole: number): string =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
