// The static code policy: defence in depth in front of gVisor, never the boundary. It checks the languages
// a SandboxRuntime can name as its policy and answers with the findings a CodeRun's status keeps (both defined by the resource).

import type { PolicyLanguage } from '../coderun/sandbox-runtime.ts';
import type { PolicyFinding } from '../coderun/schema.ts';

export type { PolicyFinding } from '../coderun/schema.ts';
export type PolicyProfile = 'strict' | 'compat' | 'off';
/**
 * The language a check parses: a runtime's `policy`, or `nodejs`, the built-in runtime's name, for javascript
 * (what callers passed before runtimes were data).
 */
export type PolicyInput = PolicyLanguage | 'nodejs';

export interface PolicyVerdict {
  allowed: boolean;
  findings: PolicyFinding[];
}

/** Checks one program. Never throws for user input: unreadable source is reported as a verdict or allowed through. */
export type CodePolicy = (language: PolicyInput, source: string) => PolicyVerdict;

/** The same, off the caller's thread (the worker pool): what the API and the controller use. */
export type AsyncCodePolicy = (language: PolicyInput, source: string) => Promise<PolicyVerdict>;

export interface CheckOptions {
  /** Stop and refuse the program once a check has run this long (where the parser can stop early). */
  budgetMs?: number;
  /** Modules a strict program may import besides the profile's own list (a package's subpaths too). */
  extraModules?: ReadonlySet<string>;
}

/**
 * Modules the operator allows besides the strict profile's lists, per policy: the import names of the
 * packages added to the sandbox images (README, "Add packages").
 */
export interface ExtraModules {
  python: readonly string[];
  javascript: readonly string[];
}

export const TOO_COMPLEX_RULE = 'too-complex';

/** A program the checker could not finish within its time or memory budget is refused, never allowed. */
export function tooComplexVerdict(why: string): PolicyVerdict {
  return {
    allowed: false,
    findings: [
      { line: 1, column: 1, rule: TOO_COMPLEX_RULE, message: `Program too complex to check (${why})` },
    ],
  };
}

/** The RAGFlow wire form of findings: one `Line <n>: <issue>` per finding, newline-joined. */
export function formatFindings(findings: readonly PolicyFinding[]): string {
  return findings.map((f) => `Line ${f.line}: ${f.message}`).join('\n');
}

export const allowEverything: CodePolicy = () => ({ allowed: true, findings: [] });

/** The verdict for a set of findings: sorted by line then column, each reported once; allowed only when empty. */
export function verdictFrom(findings: readonly PolicyFinding[]): PolicyVerdict {
  const unique = new Map<string, PolicyFinding>();
  for (const finding of findings) unique.set(`${finding.line}:${finding.column}:${finding.message}`, finding);
  const sorted = [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
  return { allowed: sorted.length === 0, findings: sorted };
}
