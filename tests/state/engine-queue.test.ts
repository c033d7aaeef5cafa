/** The engine queue on its own: order, epochs, the late-progress guard, extension calls. */
import { describe, expect, it } from 'vitest';
import type { EngineClient, Progress } from '../../src/engine/api';
import { EngineQueue, untilSettled } from '../../src/state/engine-queue';
import type { TaskName, UiError } from '../../src/state/store';

function queueWithLog() {
  const cancels: number[] = [];
  const engine = { cancel: () => cancels.push(1) } as unknown as EngineClient;
  const tasks: ({ name: TaskName; progress: Progress | null } | null)[] = [];
  const errors: (UiError | null)[] = [];
  const q = new EngineQueue(engine, {
    setTask: (t) => tasks.push(t),
    setResultsError: (e) => errors.push(e),
    deviceLost: () => {},
  });
  return { q, cancels, tasks, errors };
}

describe('untilSettled', () => {
  it('forwards progress until the call settles, and drops what arrives after its result', async () => {
    const seen: number[] = [];
    let late: ((p: Progress) => void) | null = null;
    const r = await untilSettled(
      (p) => seen.push(p.done),
      async (onProgress) => {
        onProgress({ done: 1, total: 2 } as Progress);
        late = onProgress;
        return 'result';
      },
    );
    late!({ done: 2, total: 2 } as Progress);
    expect(r).toBe('result');
    expect(seen).toEqual([1]);
  });
});

describe('EngineQueue', () => {
  it('runs calls one at a time in order', async () => {
    const { q } = queueWithLog();
    const order: string[] = [];
    const slow = q.enqueue('text', async () => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 5));
      order.push('a end');
    });
    const fast = q.enqueue('evaluate', async () => void order.push('b'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('a superseded step resolves null without running; supersede cancels analysis work, not a load', async () => {
    const { q, cancels, tasks } = queueWithLog();
    const g = q.epoch;
    let release!: () => void;
    const load = q.enqueue('load', () => new Promise<void>((r) => (release = r)));
    const step = q.step(g, 'evaluate', async () => 'ran');
    await new Promise((r) => setTimeout(r, 0));
    expect(q.inFlight).toBe('load');
    expect(q.supersede()).toBe(g + 1);
    expect(cancels).toEqual([]); // a load is in flight: not cancelled
    release();
    await load;
    expect(await step).toBeNull();
    expect(tasks).toEqual([]); // never shown on the task line

    let finish!: (v: string) => void;
    const g2 = q.epoch;
    const running = q.step(g2, 'analyze', () => new Promise<string>((r) => (finish = r)));
    await new Promise((r) => setTimeout(r, 0));
    expect(q.inFlight).toBe('analyze');
    q.supersede();
    expect(cancels).toEqual([1]);
    finish('late');
    expect(await running).toBe('late'); // the engine's own answer; callers check the epoch
  });

  it('extension calls resolve null when superseded or aborted, and reject on other errors', async () => {
    const { q } = queueWithLog();
    const ac = new AbortController();
    ac.abort();
    expect(await q.extensionCall('plan', async () => 'x', ac.signal)).toBeNull();
    const superseded = q.extensionCall('plan', async () => 'x');
    q.supersede();
    expect(await superseded).toBeNull();
    const cancelled = Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
    expect(
      await q.extensionCall('plan', async () => {
        throw cancelled;
      }),
    ).toBeNull();
    await expect(
      q.extensionCall('plan', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await q.extensionCall('plan', async () => 'ok')).toBe('ok');
    await q.idle();
    expect(q.inFlight).toBeNull();
  });
});
