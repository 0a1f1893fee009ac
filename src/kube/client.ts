// Kubernetes clients for one KubeConfig, and the few error shapes the code branches on.
import { statSync } from 'node:fs';
import {
  type Cluster,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type RequestContext,
  type User,
} from '@kubernetes/client-node';

export interface KubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

export function makeClients(kubeConfig: KubeConfig): KubeClients {
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
  };
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * What a connection to the API server is made with: the server, how it is trusted, the client's certificate
 * (and when a file holding one last changed, so a rotated certificate gets new connections). A bearer token
 * is not in it: it travels in each request's header.
 */
export function connectionKey(
  cluster: Cluster | null,
  user: User | null,
  modified: (file: string) => number | undefined,
): string {
  const files = [cluster?.caFile, user?.certFile, user?.keyFile].map(
    (file) => file && [file, modified(file)],
  );
  return JSON.stringify([
    cluster?.server,
    cluster?.caData,
    cluster?.skipTLSVerify,
    cluster?.tlsServerName,
    cluster?.proxyUrl,
    user?.certData,
    user?.keyData,
    files,
  ]);
}

function modifiedAt(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * A KubeConfig whose API requests share one connection pool. client-node 2.0.1 builds a new undici Agent
 * for every request (`applySecurityAuthentication` → `createDispatcher`), so every request opened its own
 * TCP connection and TLS handshake: a GET on the local cluster took 13 ms p50 that way and 5 ms over a kept
 * connection, and a warm run makes three such requests on its way (docs/performance.md, session 8). This
 * keeps the first Agent for as long as what connections are made with stays the same.
 */
export class PooledKubeConfig extends KubeConfig {
  #shared: { key: string; dispatcher: Dispatcher } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = connectionKey(this.getCurrentCluster(), this.getCurrentUser(), modifiedAt);
    if (this.#shared?.key === key) {
      context.setDispatcher(this.#shared.dispatcher);
      return;
    }
    // The old pool finishes what it carries, then closes; the fresh one (no connection yet) takes over.
    const old = this.#shared?.dispatcher;
    this.#shared = { key, dispatcher: fresh };
    old?.close().catch(() => {});
  }
}

/** In a Pod: its service account; elsewhere: KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(): KubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromDefault();
  return kc;
}

export function statusCode(err: unknown): number | undefined {
  const code =
    (err as { code?: unknown; statusCode?: unknown } | null)?.code ??
    (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
/** A create found its name taken (409 AlreadyExists): an earlier attempt's object, or another's. */
export const isAlreadyExists = (err: unknown) =>
  isConflict(err) &&
  (apiErrorReason(err) === 'AlreadyExists' || /already exists/i.test(apiErrorMessage(err)));
/**
 * A create refused because something it is counted against changed meanwhile (409 Conflict, not
 * AlreadyExists): under load the ResourceQuota's usage update loses an optimistic-concurrency race
 * ("Operation cannot be fulfilled on resourcequotas ..."). Nothing was created; trying again succeeds.
 */
export const isCreateConflict = (err: unknown) => isConflict(err) && !isAlreadyExists(err);
/** A create refused by a ResourceQuota (403 "exceeded quota"): a retry later can succeed. */
export const isQuotaExceeded = (err: unknown) =>
  statusCode(err) === 403 && /exceeded quota/i.test(apiErrorMessage(err));
/**
 * A create refused because a ResourceQuota has not been counted yet (403 "status unknown for quota"): a
 * quota just created, or one on a resource the quota controller has not discovered yet (a CRD installed
 * moments ago). It clears within about a minute, when the kube-controller-manager has counted it.
 */
export const isQuotaPending = (err: unknown) =>
  statusCode(err) === 403 && /status unknown for quota/i.test(apiErrorMessage(err));

/** The machine-readable reason of the API server's Status (`AlreadyExists`, `Conflict`, ...), if any. */
export function apiErrorReason(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const reason = (parsed as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** The API server's own message when there is one (it names the field and the rule), else the error text. */
export function apiErrorMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body)
    return String((body as { message: unknown }).message);
  if (err instanceof Error) return err.message;
  // A WebSocket's error or close event, or another plain object: what it says, never "[object Object]".
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; type?: unknown; code?: unknown; reason?: unknown };
    if (typeof e.message === 'string' && e.message) return e.message;
    const said = [e.type, e.code, e.reason].filter((part) => part !== undefined && part !== '');
    if (said.length) return said.map(String).join(' ');
    try {
      const json = JSON.stringify(err);
      if (json && json !== '{}') return json;
    } catch {
      // circular (an event that holds its socket): nothing more to say than its kind
    }
  }
  return String(err);
}
