/**
 * The engine worker's watch on the WebGPU device (workers/device-watch.ts): a stand-in device whose
 * `lost` promise the test resolves, as a GPUDevice's does when the device is lost.
 */
import { describe, expect, it } from 'vitest';
import { DeviceLostError, errorFromJSON } from '../../src/engine/errors';
import { DeviceWatch } from '../../workers/device-watch';

function device() {
  let lose: (info: { reason?: string; message?: string }) => void = () => {};
  const lost = new Promise<{ reason?: string; message?: string }>((r) => {
    lose = r;
  });
  return { dev: { lost }, lose };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DeviceWatch', () => {
  it('passes until the device is lost, then every check fails with one DeviceLostError and the page is told once', async () => {
    const w = new DeviceWatch();
    const { dev, lose } = device();
    const told: string[] = [];
    w.watch(dev, (m) => told.push(m));
    w.watch(dev, (m) => told.push(m)); // the same device again: watched once
    await tick();
    expect(w.lost).toBe(false);
    expect(() => w.check()).not.toThrow();
    lose({ reason: 'unknown', message: 'GPU connection lost.' });
    await tick();
    expect(w.lost).toBe(true);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^The GPU device was lost \(GPU connection lost\)\. Reload the page .*kept in the link\.$/);
    expect(() => w.check()).toThrow(DeviceLostError);
    // It crosses the worker boundary as itself.
    const back = errorFromJSON(JSON.parse(JSON.stringify(w.error().toJSON())));
    expect(back).toBeInstanceOf(DeviceLostError);
    expect(back.message).toBe(told[0]);
  });

  it('names the reason when there is one; a second device lost later changes nothing', async () => {
    const w = new DeviceWatch();
    const a = device();
    const b = device();
    const told: string[] = [];
    w.watch(a.dev, (m) => told.push(m));
    w.watch(b.dev, (m) => told.push(m));
    a.lose({ reason: 'destroyed', message: '' });
    b.lose({ reason: 'unknown', message: 'later' });
    await tick();
    expect(told).toEqual([expect.stringMatching(/^The GPU device was lost \(destroyed\)\./)]);
    expect(w.error().code).toBe('DEVICE_LOST');
  });
});
