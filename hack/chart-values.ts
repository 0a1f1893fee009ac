// The chart's documented values: values.yaml read against values.schema.json, and the README table
// `make generate` writes from them (test/component/chart.test.ts checks every value is documented).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';

const REPO = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
export const CHART_README = 'charts/coderun/README.md';
export const TABLE_START = '<!-- values-table:start -->';
export const TABLE_END = '<!-- values-table:end -->';

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  $ref?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  const?: unknown;
  definitions?: Record<string, Schema>;
}

export const schema: Schema = JSON.parse(read('charts/coderun/values.schema.json'));
const resolve = (s: Schema): Schema =>
  s.$ref ? resolve(schema.definitions?.[s.$ref.replace('#/definitions/', '')] as Schema) : s;

function typeOf(s: Schema): string {
  const types = (node: Schema): string[] => {
    const r = resolve(node);
    if (r.type) return Array.isArray(r.type) ? r.type : [r.type];
    if (r.const !== undefined) return [typeof r.const];
    if (r.enum) return r.enum.map((v) => (v === null ? 'null' : typeof v));
    if (r.anyOf) return r.anyOf.flatMap(types);
    return ['any'];
  };
  return [...new Set(types(s))].join(' or ');
}

export interface Leaf {
  key: string;
  type: string;
  value: unknown;
  comment: string;
}

/**
 * The documented values: the schema decides what is a leaf. A node with inline `properties` is a group of
 * values; anything else (scalars, lists, free-form maps such as resources or nodeSelector) is one value.
 */
export function leaves(): Leaf[] {
  const doc = parseDocument(read('charts/coderun/values.yaml'));
  const out: Leaf[] = [];
  const walk = (map: YAMLMap, node: Schema, prefix: string) => {
    map.items.forEach((pair, index) => {
      const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const key = prefix + name;
      const sub = node.properties?.[name];
      if (!sub) throw new Error(`values.yaml: ${key} is not in values.schema.json`);
      // A comment before the first key of a map is attached to the map; the document's first key also
      // carries the file header, separated by a blank line.
      let comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? '';
      if (!comment && index === 0) comment = map.commentBefore ?? '';
      comment = (comment.split('\n\n').at(-1) ?? '').replace(/\s*\n\s*/g, ' ').trim();
      if (sub.properties && isMap(pair.value)) walk(pair.value, sub, `${key}.`);
      else
        out.push({
          key,
          type: typeOf(sub),
          value: (pair.value as { toJSON(): unknown })?.toJSON?.() ?? pair.value,
          comment,
        });
    });
  };
  walk(doc.contents as YAMLMap, schema, '');
  return out;
}

export function schemaLeafKeys(node: Schema = schema, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, sub]) =>
    sub.properties ? schemaLeafKeys(sub, `${prefix}${name}.`) : [`${prefix}${name}`],
  );
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function valuesTable(): string {
  const rows = leaves().map(
    (l) => `| \`${l.key}\` | ${l.type} | \`${cell(JSON.stringify(l.value))}\` | ${cell(l.comment)} |`,
  );
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...rows].join('\n');
}

/** The chart README with its values table rendered afresh between the markers. */
export function chartReadme(): string {
  const readme = read(CHART_README);
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`${CHART_README} needs the markers ${TABLE_START} and ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${valuesTable()}\n${readme.slice(end)}`;
}
