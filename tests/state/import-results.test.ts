/**
 * Import results in the workbench's state: results shown without their model, kept by the URL (v3
 * link) and by saved experiments, reopened from a link; a pruned config's drops applied to a model of
 * the same depth (undoable) and refused for another; a bad file leaves the experiment unchanged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeExperiment } from '../../src/state/share-link';
import { importedSpec, planOnImported } from '../../src/state/imported';
import { link, setup } from './setup';

const FIX = join(__dirname, '../fixtures');
const file = (dir: string, name: string, as = name) => ({
  name: as,
  bytes: new Uint8Array(readFileSync(join(FIX, dir, name))),
});
const pts = () => [
  file('torch-pt', 'llama_all_attn_similarities.pt'),
  file('torch-pt', 'llama_all_mlp_similarities.pt'),
];

describe('importing results into the workbench', () => {
  it('LLM-Drop .pt files with their config: shown, in the URL, reopened from it', async () => {
    const w = await setup({ hash: link({}) });
    const before = w.s().drops.current;
    const out = w.controller.importResults([...pts(), file('import', 'model-config.json', 'config.json')]);
    expect(out.kind).toBe('results');
    const shown = w.s().imported.shown!;
    expect(shown.results.source).toBe('llm-drop');
    expect(shown.results.layers).toBe(12);
    expect(shown.selection).toEqual({ attn: [3], mlp: [] });
    expect(importedSpec(shown)?.numLayers).toBe(12);
    expect(w.s().drops.current).toBe(before); // the loaded model's experiment is not touched
    w.controller.writeNow();
    expect(w.hash.value.startsWith('v3&')).toBe(true);
    const e = decodeExperiment(w.hash.value);
    expect(e.imported?.results.layers).toBe(12);
    expect(e.imported?.config?.num_hidden_layers).toBe(12);

    // A fresh workbench opened on that link shows them.
    const w2 = await setup({ hash: w.hash.value });
    expect(w2.s().imported.shown?.results.layers).toBe(12);
    expect(w2.s().imported.shown?.results.importance.mlp[5]).toBeCloseTo(shown.results.importance.mlp[5], 3);
  });

  it('quick plan on imported scores, the selection in the link, close', async () => {
    const w = await setup({ hash: link({}) });
    w.controller.importResults([file('import', 'droplab-byte-12l.results.json')]);
    const shown = w.s().imported.shown!;
    const plan = planOnImported(shown, 'attn', 4);
    expect(plan.attn).toHaveLength(4);
    const order = [...shown.results.importance.attn].sort((a, b) => a - b);
    for (const l of plan.attn) expect(shown.results.importance.attn[l]).toBeLessThanOrEqual(order[3]);
    w.controller.selectImported(plan);
    w.controller.writeNow();
    expect(decodeExperiment(w.hash.value).imported?.selection).toEqual(plan);
    w.controller.closeImported();
    expect(w.s().imported.shown).toBeNull();
    w.controller.writeNow();
    expect(w.hash.value.startsWith('v1&')).toBe(true);
  });

  it('saved experiments keep imported results', async () => {
    const w = await setup({ hash: link({}) });
    w.controller.importResults(pts());
    expect(await w.controller.save('llm-drop scores')).toBe(true);
    w.controller.closeImported();
    const id = w.s().saved.list[0].id;
    expect(await w.controller.openSaved(id)).toBe(true);
    await w.controller.idle();
    expect(w.s().imported.shown?.results.source).toBe('llm-drop');
  });

  it('a pruned config.json applies its drops to the loaded model of the same depth (undoable)', async () => {
    const w = await setup({ hash: link({}) });
    const out = w.controller.importResults([file('import', 'llmdrop-pruned-config.json', 'config.json')]);
    expect(out).toEqual({ kind: 'drops', drop: { attn: [3, 5], mlp: [7] } });
    expect(w.s().drops.current).toEqual({ attn: [3, 5], mlp: [7] });
    w.controller.undo();
    expect(w.s().drops.current).toEqual({ attn: [], mlp: [] });
  });

  it('a config for another depth, and a bad file, are refused and change nothing', async () => {
    const w = await setup({ hash: link({ drops: { attn: [1], mlp: [] } }) });
    const c = JSON.parse(readFileSync(join(FIX, 'import', 'llmdrop-pruned-config.json'), 'utf8'));
    c.num_hidden_layers = 32;
    c.drop_mlp_list = [7];
    const out = w.controller.importResults([
      { name: 'config.json', bytes: new TextEncoder().encode(JSON.stringify(c)) },
    ]);
    expect(out.kind).toBe('refused');
    expect(w.s().imported.error?.message).toMatch(/32-layer model .* has 12 layers/);
    expect(w.s().drops.current).toEqual({ attn: [1], mlp: [] });

    w.controller.importResults(pts());
    const shown = w.s().imported.shown;
    expect(w.controller.importResults([file('torch-pt', 'truncated_mlp.pt')]).kind).toBe('refused');
    expect(w.s().imported.error?.code).toBe('IMPORT_INVALID');
    expect(w.s().imported.shown).toBe(shown);
  });
});
