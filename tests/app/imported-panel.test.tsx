/**
 * Results-only mode, server-rendered over the controller and the fake engine: after importing the CLI's
 * results file for the bundled model, the panel shows its heatmap (12 layers), the similarity and angular
 * matrices folded, the picked drops, and, at the same depth as the loaded model, the button that applies
 * them; with LLM-Drop's .pt files and their config.json, the cost of the picked drops.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { WorkbenchProvider } from '../../src/app/context';
import { ImportedPanel } from '../../src/app/import/ImportedPanel';
import { setup } from '../state/setup';

const FIX = join(__dirname, '../fixtures');
const file = (dir: string, name: string, as = name) => ({
  name: as,
  bytes: new Uint8Array(readFileSync(join(FIX, dir, name))),
});

async function rendered(files: { name: string; bytes: Uint8Array }[]) {
  const w = await setup();
  expect(w.controller.importResults(files).kind).toBe('results');
  w.store.getInitialState = w.store.getState;
  return renderToStaticMarkup(
    <WorkbenchProvider store={w.store} controller={w.controller}>
      <ImportedPanel />
    </WorkbenchProvider>,
  );
}

describe('ImportedPanel', () => {
  it('a DropLab results file: heatmap, folded matrices, apply to the loaded model', async () => {
    const html = await rendered([file('import', 'droplab-byte-12l.results.json')]);
    expect(html).toContain('Imported results: droplab-byte-12l');
    expect(html).toContain('data-layers="12"');
    expect((html.match(/data-kind="attn"/g) ?? []).length).toBe(12);
    expect(html).toContain('data-testid="imported-similarity"');
    expect(html).toContain('Layer similarity (13 boundaries)');
    expect(html).toContain('data-testid="imported-angular"');
    expect(html).toContain('data-testid="imported-apply"');
    expect(html).toContain('Import the model&#x27;s config.json');
  });

  it("LLM-Drop's .pt files with config.json: the cost of the picked drops", async () => {
    const html = await rendered([
      file('torch-pt', 'llama_all_attn_similarities.pt'),
      file('torch-pt', 'llama_all_mlp_similarities.pt'),
      file('import', 'model-config.json', 'config.json'),
    ]);
    expect(html).toContain('data-testid="imported-cost"');
    expect(html).toContain('Picked: attention 3; MLP none.');
    expect(html).not.toContain('imported-similarity');
  });
});
