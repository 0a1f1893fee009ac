// The static code policy: defence in depth in front of gVisor, never the boundary.
export type PolicyLanguage = 'python' | 'nodejs';
export type PolicyProfile = 'strict' | 'off';

/** One reason a program was rejected; `line` and `column` are 1-based. */
export interface PolicyFinding {
  line: number;
  column: number;
  /** Stable identifier of the rule that fired, e.g. `import-blocked-module`. */
  rule: string;
  /** Short human text, e.g. `Import of blocked module 'os'`. */
  message: string;
}

export interface PolicyVerdict {
  allowed: boolean;
  findings: PolicyFinding[];
}

/** Checks one program. Never throws for user input: unreadable source is reported as a verdict or allowed through. */
export type CodePolicy = (language: PolicyLanguage, source: string) => PolicyVerdict;

/** The RAGFlow wire form of findings: one `Line <n>: <issue>` per finding, newline-joined. */
export function formatFindings(findings: readonly PolicyFinding[]): string {
  return findings.map((f) => `Line ${f.line}: ${f.message}`).join('\n');
}

export const allowEverything: CodePolicy = () => ({ allowed: true, findings: [] });
