/**
 * The engine worker's heartbeat (the page's WorkerWatchdog, src/app/worker-watchdog.ts): a ping is a plain
 * message `{ __droplabPing: n }`, answered at once with `{ __droplabPong: n }`. Both are ignored by comlink
 * (no id, no type). The answer needs the worker's event loop, so it waits behind a long synchronous
 * session run; the watchdog allows for that.
 */
export const PING_KEY = '__droplabPing';
export const PONG_KEY = '__droplabPong';

/** The sequence number of a ping message, or null for any other message. */
export function isPing(data: unknown): number | null {
  const v = data && typeof data === 'object' ? (data as Record<string, unknown>)[PING_KEY] : undefined;
  return typeof v === 'number' ? v : null;
}

/** The sequence number of a pong message, or null for any other message. */
export function isPong(data: unknown): number | null {
  const v = data && typeof data === 'object' ? (data as Record<string, unknown>)[PONG_KEY] : undefined;
  return typeof v === 'number' ? v : null;
}

/** Answer the page's pings on `scope` (the worker's global scope). */
export function answerPings(scope: {
  addEventListener(type: 'message', f: (ev: MessageEvent) => void): void;
  postMessage(m: unknown): void;
}): void {
  scope.addEventListener('message', (ev) => {
    const seq = isPing(ev.data);
    if (seq !== null) scope.postMessage({ [PONG_KEY]: seq });
  });
}
