// Kubernetes resource quantities, reduced to what the operator clamps: CPU in millicores, memory in bytes.
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};
const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/** The value of a quantity in base units (cores, bytes), or null when it is not one. */
export function parseQuantity(text: string): number | null {
  const match = QUANTITY.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (SUFFIX[match[2] ?? ''] ?? 1);
}

export function millicores(text: string): number | null {
  const cores = parseQuantity(text);
  return cores === null ? null : Math.ceil(cores * 1000);
}

export function formatMillicores(value: number): string {
  return value % 1000 === 0 ? String(value / 1000) : `${value}m`;
}

/** Bytes as the largest binary unit that divides them exactly. */
export function formatBytes(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = SUFFIX[unit] as number;
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/**
 * Memory as RAGFlow's SANDBOX_MAX_MEMORY writes it (Docker style: 256m, 1g, 512k, bytes) or as a Kubernetes
 * quantity (256Mi). Docker's lower-case m means MiB, which Kubernetes would read as milli-bytes.
 */
export function parseMemory(text: string): number | null {
  const docker = /^([0-9]+)([bkmg])$/i.exec(text.trim());
  if (docker) {
    const power = { b: 0, k: 1, m: 2, g: 3 }[(docker[2] as string).toLowerCase() as 'b' | 'k' | 'm' | 'g'];
    return Number(docker[1]) * 1024 ** power;
  }
  const bytes = parseQuantity(text);
  return bytes === null || !Number.isInteger(bytes) ? null : bytes;
}
