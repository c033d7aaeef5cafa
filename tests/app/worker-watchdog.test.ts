/**
 * The engine worker's watchdog (src/app/worker-watchdog.ts) on a manual clock, and clientFor under it: a
 * worker that stops answering while a call is in flight is declared dead after 60 s (not before, however
 * long one synchronous run blocks it, as long as something arrives), an error event kills it at once, calls
 * in flight and later calls fail with the notice's message, and the page is told through init's callback.
 */
import { describe, expect, it } from 'vitest';
import { clientFor } from '../../src/app/worker-client';
import { DEAD_AFTER_MS, HEARTBEAT_MS, WorkerWatchdog } from '../../src/app/worker-watchdog';
import { DeviceLostError } from '../../src/engine/errors';
import { isPing, isPong, PING_KEY, PONG_KEY } from '../../workers/heartbeat';

function clockDog(extra: Partial<ConstructorParameters<typeof WorkerWatchdog>[0]> = {}) {
  let t = 0;
  let interval: { f: () => void; ms: number } | null = null;
  const pings: number[] = [];
  const dead: string[] = [];
  const dog = new WorkerWatchdog({
    ping: (seq) => pings.push(seq),
    onDead: (m) => dead.push(m),
    error: (m) => new DeviceLostError(m),
    now: () => t,
    setInterval: (f, ms) => {
      interval = { f, ms };
      return 1;
    },
    clearInterval: () => {
      interval = null;
    },
    ...extra,
  });
  /** Advance the clock by `ms`, firing the heartbeat on time. */
  const advance = (ms: number) => {
    const end = t + ms;
    while (interval && t + interval.ms <= end) {
      t += interval.ms;
      interval.f();
    }
    t = end;
  };
  return {
    dog,
    pings,
    dead,
    advance,
    jump: (ms: number) => {
      t += ms;
      interval?.f();
    },
    running: () => interval !== null,
  };
}

const never = () => new Promise<never>(() => {});
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('WorkerWatchdog', () => {
  it('pings only while a call is in flight', async () => {
    const { dog, pings, running } = clockDog();
    expect(running()).toBe(false);
    let resolve!: (v: number) => void;
    const p = dog.track(() => new Promise<number>((r) => (resolve = r)));
    expect(running()).toBe(true);
    expect(pings).toEqual([1]);
    resolve(7);
    expect(await p).toBe(7);
    expect(running()).toBe(false);
    expect(dog.pending).toBe(0);
  });

  it('a worker that answers nothing for 60 s while a call runs is dead; the call fails with the message', async () => {
    const { dog, dead, advance } = clockDog();
    const p = dog.track(never);
    const failed = p.catch((e) => e);
    advance(DEAD_AFTER_MS - HEARTBEAT_MS);
    expect(dead).toEqual([]);
    advance(HEARTBEAT_MS);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(
      /^The engine stopped \(no answer from the engine worker for 60 s while it was working\)\. Reload the page/,
    );
    expect(dead[0]).toMatch(/your experiment \(model, drops, text and windows\) is kept in the link\.$/);
    const e = await failed;
    expect(e).toBeInstanceOf(DeviceLostError);
    expect((e as Error).message).toBe(dead[0]);
    // Later calls fail at once, without reaching the worker.
    let started = false;
    await expect(
      dog.track(async () => {
        started = true;
        return 1;
      }),
    ).rejects.toThrow(/The engine stopped/);
    expect(started).toBe(false);
  });

  it('a long synchronous run is not death: a late pong, or a progress report, restarts the wait', async () => {
    const { dog, dead, advance, pings } = clockDog();
    void dog.track(never).catch(() => {});
    advance(55_000); // the worker is blocked in one session run: no pong yet
    dog.pong(pings[0]); // it answers once the run returns
    advance(55_000);
    dog.heard(); // a progress report
    advance(59_000);
    expect(dead).toEqual([]);
    expect(dog.dead).toBe(false);
  });

  it('a heartbeat that fires late (throttled or sleeping page) waits afresh instead of counting the frozen time', async () => {
    const { dog, dead, jump, advance } = clockDog();
    void dog.track(never).catch(() => {});
    jump(10 * 60_000); // the laptop slept ten minutes: the first tick after it
    expect(dead).toEqual([]);
    advance(DEAD_AFTER_MS - HEARTBEAT_MS);
    expect(dead).toEqual([]);
    advance(HEARTBEAT_MS);
    expect(dead).toHaveLength(1);
  });

  it('an error event kills it at once, rejecting every call in flight, and reports once', async () => {
    const { dog, dead, running } = clockDog();
    const a = dog.track(never).catch((e) => (e as Error).message);
    const b = dog.track(never).catch((e) => (e as Error).message);
    dog.fail('the engine worker failed: Uncaught Error: boom');
    dog.fail('a second report');
    expect(dead).toEqual([
      'The engine stopped (the engine worker failed: Uncaught Error: boom). Reload the page to start it again; your experiment (model, drops, text and windows) is kept in the link.',
    ]);
    expect(await a).toBe(dead[0]);
    expect(await b).toBe(dead[0]);
    expect(running()).toBe(false);
  });

  it('an idle dead worker is found by the next call', async () => {
    const { dog, dead, advance } = clockDog();
    await dog.track(async () => 1);
    advance(10 * 60_000); // idle: no pings, nothing declared
    expect(dead).toEqual([]);
    void dog.track(never).catch(() => {});
    advance(DEAD_AFTER_MS);
    expect(dead).toHaveLength(1);
  });
});

describe('clientFor under a watchdog', () => {
  it("tells the page through init's callback with cause 'engine', and progress counts as life", async () => {
    const { dog, dead, advance } = clockDog();
    const watch = Object.assign(dog, { onDead: null as ((m: string) => void) | null });
    // The real wiring (watchWorker) forwards onDead; do the same here.
    const told: [string, string | undefined][] = [];
    const remote = {
      init: async () => ({ backend: 'wasm', threads: 1, reason: 'test', crossOriginIsolated: false }),
      evaluate: async (_d: unknown, onProgress?: (p: { done: number; total: number }) => void) => {
        // A progress report every 30 s for 3 minutes: never silent for 60 s.
        for (let i = 0; i < 6; i++) {
          advance(30_000);
          onProgress?.({ done: i, total: 6 });
        }
        return { perplexity: 3 };
      },
      analyze: never,
    } as unknown as Parameters<typeof clientFor>[0];
    const client = clientFor(remote, watch);
    await client.init({ backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' }, (m, cause) =>
      told.push([m, cause]),
    );
    const seen: number[] = [];
    const r = await client.evaluate({ attn: [], mlp: [] }, (p) => seen.push(p.done)).catch((e) => e);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r).toMatchObject({ perplexity: 3 });
    expect(dead).toEqual([]);
    const hung = client.analyze({ attn: [], mlp: [] }).catch((e) => (e as Error).message);
    watch.onDead?.('x'); // what watchWorker's onDead does once the dog fires
    expect(told).toEqual([['x', 'engine']]);
    dog.fail('test');
    expect(await hung).toMatch(/^The engine stopped \(test\)/);
    await settle();
  });

  it('ping and pong messages are recognised, and nothing else is', () => {
    expect(isPing({ [PING_KEY]: 4 })).toBe(4);
    expect(isPong({ [PONG_KEY]: 4 })).toBe(4);
    expect(isPing({ id: 'x', type: 'APPLY' })).toBeNull();
    expect(isPong(null)).toBeNull();
    expect(isPong({ [PONG_KEY]: '4' })).toBeNull();
  });
});
