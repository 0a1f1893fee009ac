// Liveness and readiness of a controller replica, decided from a snapshot of its state. Pure.
import type { InformerHealth } from '../kube/informer.ts';

export interface ControllerState {
  /** The leader reconciles; a standby waits for the Lease and watches nothing. */
  role: 'leader' | 'standby';
  /** The leader's informers have been started (their first list and watch attempted). */
  started: boolean;
  informers: readonly InformerHealth[];
}

export interface HealthVerdict {
  ok: boolean;
  body: { status: 'ok' | 'unavailable'; role: ControllerState['role']; detail: string };
}

/** A watch reconnect takes milliseconds, and client-node backs off at most 30 s between quiet reconnects. */
export const READY_WATCH_GRACE_MS = 30_000;

function verdict(ok: boolean, state: ControllerState, detail: string): HealthVerdict {
  return { ok, body: { status: ok ? 'ok' : 'unavailable', role: state.role, detail } };
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function describe(i: InformerHealth): string {
  return `${i.what}: no watch for ${seconds(i.downForMs)}${i.lastError ? ` (last error: ${i.lastError})` : ''}`;
}

/**
 * Alive unless an informer's watch has been down for `boundMs`: the replica would act on a stale view for
 * good, and a restart (a fresh connection, or another replica taking the Lease) is the way out.
 */
export function liveness(state: ControllerState, boundMs: number): HealthVerdict {
  const stuck = state.informers.filter((i) => !i.watching && i.downForMs >= boundMs);
  if (stuck.length > 0) return verdict(false, state, stuck.map(describe).join('; '));
  return verdict(true, state, state.role === 'leader' ? 'reconciling' : 'waiting for the Lease');
}

/**
 * Ready when a leader's informers have listed everything and are watching (a watch may be down for a
 * moment while it reconnects); a standby that waits for the Lease is ready too.
 */
export function readiness(state: ControllerState, graceMs = READY_WATCH_GRACE_MS): HealthVerdict {
  if (state.role === 'standby') return verdict(true, state, 'standby: waiting for the Lease');
  if (!state.started) return verdict(false, state, 'leader: starting its informers');
  const unsynced = state.informers.filter((i) => !i.synced);
  if (unsynced.length > 0)
    return verdict(
      false,
      state,
      `leader: not synced yet: ${unsynced.map((i) => `${i.what}${i.lastError ? ` (last error: ${i.lastError})` : ''}`).join('; ')}`,
    );
  const down = state.informers.filter((i) => !i.watching && i.downForMs >= graceMs);
  if (down.length > 0) return verdict(false, state, `leader: ${down.map(describe).join('; ')}`);
  return verdict(true, state, `leader: ${state.informers.length} informers synced and watching`);
}
