// Who deleted a Pod, from kube-apiserver's audit log (the local cluster logs Pod deletes only:
// hack/cluster/audit-policy.yaml). The fault campaign names the deleter of a sandbox Pod that went away
// while its program ran, so such a run is explained rather than guessed at. Pure but for reading the file.
import { readFileSync } from 'node:fs';

export interface PodDelete {
  pod: string;
  /** The authenticated user: a controller's ServiceAccount, the garbage collector, the kubelet's node. */
  user: string;
  userAgent: string;
  /** When the API server received it (ISO time). */
  at: string;
  /** The HTTP status it answered (200 deleted, 404 gone already, 409 a precondition failed). */
  code: number | undefined;
}

interface AuditEvent {
  verb?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string };
  user?: { username?: string };
  userAgent?: string;
  requestReceivedTimestamp?: string;
  responseStatus?: { code?: number };
  stage?: string;
}

/** The Pod deletes of one namespace in an audit log's JSON lines (one per request: its final stage). */
export function podDeletes(log: string, namespace: string): PodDelete[] {
  const out: PodDelete[] = [];
  for (const line of log.split('\n')) {
    if (!line.trim()) continue;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line cut by rotation
    }
    const ref = event.objectRef;
    if (event.verb !== 'delete' || ref?.resource !== 'pods' || ref.namespace !== namespace || !ref.name)
      continue;
    if (event.stage && event.stage !== 'ResponseComplete') continue;
    out.push({
      pod: ref.name,
      user: event.user?.username ?? 'unknown',
      userAgent: event.userAgent ?? '',
      at: event.requestReceivedTimestamp ?? '',
      code: event.responseStatus?.code,
    });
  }
  return out;
}

/** One line per delete of these Pods: when, by whom, with which answer. */
export function describeDeletes(deletes: readonly PodDelete[], pods: ReadonlySet<string>): string[] {
  return deletes
    .filter((d) => pods.has(d.pod))
    .map(
      (d) =>
        `${d.pod} deleted at ${d.at} by ${d.user} (${d.userAgent.split(' ')[0] ?? ''}) -> ${d.code ?? '?'}`,
    );
}

/** The audit log's text, or '' where the cluster keeps none (another cluster, or not root). */
export function readAuditLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
