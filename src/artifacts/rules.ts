// RAGFlow's artifact rules (docs/ragflow-contract.md), as the controller re-checks what a runner lists:
// the runner shares its sandbox with the program, so its report is input, not truth.

export const ARTIFACT_LIMITS = {
  maxFiles: 10,
  /** Each file: at least one byte and at most 10 MiB. */
  maxBytes: 10 * 2 ** 20,
  /** Skipped files listed in a status, at most. */
  maxSkipped: 50,
} as const;

/** Allowed extensions (lower-cased) and the MIME type each is served with. */
export const ARTIFACT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
};

/** Why a file the program wrote is not returned (reported in status and as an Event, never on stderr). */
export const SKIP_REASONS = [
  'too-large',
  'empty',
  'extension',
  'symlink',
  'not-regular',
  'name',
  'limit',
  'name-conflict',
  /** The bytes fetched from the sandbox did not match the runner's size or sha256 (changed after the run). */
  'changed',
  /** This installation keeps no artifacts (CODERUN_ARTIFACTS_STORE=none). */
  'no-store',
  /** The store refused or the sandbox could not be read; the message in the status says why. */
  'store-error',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The MIME type for an allowed name, or null. */
export function mimeTypeOf(name: string): string | null {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return ARTIFACT_TYPES[name.slice(dot).toLowerCase()] ?? null;
}

const isControl = (ch: string) => {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f;
};

/** Whether a name may be an artifact's: a plain file name, 1-255 characters, no separators, `..` or controls. */
export function isArtifactName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name.startsWith('.') || name.includes('..')) return false;
  return ![...name].some((ch) => ch === '/' || ch === '\\' || isControl(ch));
}
