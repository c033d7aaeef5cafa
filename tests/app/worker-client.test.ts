/**
 * clientFor, the page's one proxy of the engine worker (src/app/worker-client.ts), over a plain object
 * standing in for comlink's remote: named errors rebuilt from SerializedErrors, progress that arrives
 * after its call settled dropped, cancel(task) forwarded as is, and every method of EngineClient there.
 */
import { describe, expect, it } from 'vitest';
import { clientFor } from '../../src/app/worker-client';
import { ENGINE_CALLS, type EngineClient, type Progress } from '../../src/engine/api';
import { CancelledError, ExportError, TextTooShortError } from '../../src/engine/errors';

type Remote = Parameters<typeof clientFor>[0];

describe('clientFor', () => {
  it('rebuilds the named error of a rejection, for analysis and export calls alike', async () => {
    const remote = {
      setText: async () => {
        throw new TextTooShortError('The text has 3 tokens, but one window needs 64.').toJSON();
      },
      previewExport: async () => {
        throw new ExportError('Every sublayer is dropped.', { reason: 'nothing-kept' }).toJSON();
      },
    } as unknown as Remote;
    const client = clientFor(remote);
    const a = await client.setText('abc', { seqLen: 64, windows: 1 }).catch((e) => e);
    expect(a).toBeInstanceOf(TextTooShortError);
    expect(a.message).toBe('The text has 3 tokens, but one window needs 64.');
    const b = await client.previewExport({ drop: { attn: [], mlp: [] }, formats: ['fp32'] }).catch((e) => e);
    expect(b).toBeInstanceOf(ExportError);
  });

  it('drops progress that arrives after its call settled', async () => {
    let late: ((p: Progress) => void) | undefined;
    const remote = {
      evaluate: async (_d: unknown, onProgress?: (p: Progress) => void) => {
        onProgress?.({ stage: 'evaluate', done: 0, total: 2 });
        late = onProgress;
        return { perplexity: 3 };
      },
      measureSpeed: async (_r: unknown, onProgress?: (p: Progress) => void) => {
        onProgress?.({ stage: 'speed', done: 1, total: 4 });
        late = onProgress;
        throw new CancelledError('Speed measurement cancelled.').toJSON();
      },
    } as unknown as Remote;
    const client = clientFor(remote);
    const seen: string[] = [];
    await client.evaluate({ attn: [], mlp: [] }, (p) => seen.push(`${p.stage} ${p.done}`));
    late?.({ stage: 'evaluate', done: 1, total: 2 }); // on its way when the result came
    const r = await client
      .measureSpeed({ drop: { attn: [], mlp: [] }, contexts: [8] }, (p) => seen.push(`${p.stage} ${p.done}`))
      .catch((e) => e);
    expect(r).toBeInstanceOf(CancelledError);
    late?.({ stage: 'speed', done: 2, total: 4 });
    expect(seen).toEqual(['evaluate 0', 'speed 1']);
  });

  it('forwards cancel(task) as is (no task: the analysis queue), and has every method of EngineClient', () => {
    const got: unknown[] = [];
    const remote = { cancel: (task?: string) => got.push(task) } as unknown as Remote;
    const client = clientFor(remote);
    client.cancel();
    client.cancel('export');
    client.cancel('generate');
    client.cancel('speed');
    expect(got).toEqual([undefined, 'export', 'generate', 'speed']);
    // The host part, cancel, and every call of the one table (src/engine/api.ts), which the compiler
    // holds to EngineApi.
    const methods: (keyof EngineClient)[] = [
      'init',
      'inspect',
      'loadModel',
      'clearCache',
      'setHubToken',
      'setWeightPrecision',
      'cancel',
    ];
    const calls = Object.keys(ENGINE_CALLS) as (keyof EngineClient)[];
    expect(calls).toEqual(
      expect.arrayContaining(['evaluate', 'analyze', 'previewExport', 'exportZip', 'generate', 'measureSpeed']),
    );
    expect(Object.keys(client).sort()).toEqual([...methods, ...calls].sort());
  });

  it('forwards the arguments of a call from the table, callbacks included', async () => {
    const remote = {
      tokenDelta: async (...a: unknown[]) => ({ args: a }),
      exportZip: async (_r: unknown, onChunks: (c: Uint8Array[], final: boolean) => void) => {
        onChunks([new Uint8Array([1, 2])], true);
        return { zipBytes: 2 };
      },
    } as unknown as Remote;
    const client = clientFor(remote);
    const drop = { attn: [1], mlp: [] };
    expect(await client.tokenDelta('mlp', 2, drop)).toEqual({ args: ['mlp', 2, drop] });
    const got: number[][] = [];
    const r = await client.exportZip({ drop, formats: ['q4'] }, (c, final) => got.push([...c[0], final ? 1 : 0]));
    expect(r).toMatchObject({ zipBytes: 2 });
    expect(got).toEqual([[1, 2, 1]]);
  });
});
