/**
 * The worker's memory budget (workers/ort-web.ts deviceLimits): half of navigator.deviceMemory, at most
 * wasm32's 4 GiB; and what admission then lets through on wasm for the Qwen2.5-0.5B shape, whose q8 and
 * q4 analyses Chromium was measured to run (bench/results/browser-scale.json).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { admit, GiB } from '../../src/engine/model/admission';
import { specFromConfig } from '../../src/engine/model/families';
import { deviceLimits, type ProbeResult } from '../../workers/ort-web';
import { popularConfig } from '../../scripts/popular-models';

const wasm = { report: { backend: 'wasm' }, adapter: null } as unknown as ProbeResult;
const webgpu = {
  report: { backend: 'webgpu', adapter: { maxBufferSize: 2 ** 30, features: [] } },
  adapter: null,
} as unknown as ProbeResult;

function onDevice(deviceMemory: number | undefined) {
  vi.stubGlobal('self', { navigator: deviceMemory === undefined ? {} : { deviceMemory } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const qwen = specFromConfig({ ...popularConfig('Qwen2.5-0.5B'), eos_token_id: 151643 });

describe('deviceLimits', () => {
  it('gives wasm half the device memory, at most 4 GiB (wasm32)', () => {
    onDevice(2);
    expect(deviceLimits(wasm)).toEqual({ maxTotalBytes: 1 * GiB });
    onDevice(4);
    expect(deviceLimits(wasm)).toEqual({ maxTotalBytes: 2 * GiB });
    onDevice(8);
    expect(deviceLimits(wasm)).toEqual({ maxTotalBytes: 4 * GiB });
    onDevice(32);
    expect(deviceLimits(wasm)).toEqual({ maxTotalBytes: 4 * GiB });
    onDevice(undefined); // the browser does not say (Firefox, Safari)
    expect(deviceLimits(wasm)).toEqual({ maxTotalBytes: 4 * GiB });
  });

  it("keeps WebGPU's rule: the adapter's largest buffer and the same total", () => {
    onDevice(4);
    expect(deviceLimits(webgpu)).toEqual({ maxBufferBytes: 2 ** 30, maxTotalBytes: 2 * GiB });
  });

  it('admits the Qwen2.5-0.5B shape on wasm at q8 and q4 on an 8 GB device, refuses it on a 2 GB one', () => {
    onDevice(8);
    const big = admit(qwen, { budgetBytes: deviceLimits(wasm).maxTotalBytes, wasm32: true });
    expect(big.fitting).toContain('q8');
    expect(big.fitting).toContain('q4');
    onDevice(2);
    const small = admit(qwen, { budgetBytes: deviceLimits(wasm).maxTotalBytes, wasm32: true });
    expect(small.fitting).toEqual([]);
    expect(small.estimates.every((e) => e.peakBytes > 1 * GiB)).toBe(true);
  });
});
