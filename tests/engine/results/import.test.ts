/**
 * readImportFiles: what "Import results" makes of the files a person picks. Real files: a results file
 * the CLI wrote for the bundled model, .pt files PyTorch wrote, LLM-Drop-style config.json files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImportFiles } from '../../../src/engine/results/import';

const FIX = join(__dirname, '../../fixtures');
const file = (dir: string, name: string, as = name) => ({
  name: as,
  bytes: new Uint8Array(readFileSync(join(FIX, dir, name))),
});
const results = () => file('import', 'droplab-byte-12l.results.json');
const pruned = () => file('import', 'llmdrop-pruned-config.json', 'config.json');
const modelConfig = () => file('import', 'model-config.json', 'config.json');
const attn = () => file('torch-pt', 'llama_all_attn_similarities.pt');
const mlp = () => file('torch-pt', 'llama_all_mlp_similarities.pt');

describe('readImportFiles', () => {
  it('a DropLab results file', () => {
    const b = readImportFiles([results()]);
    const j = JSON.parse(readFileSync(join(FIX, 'import', 'droplab-byte-12l.results.json'), 'utf8'));
    expect(b.config).toBeNull();
    expect(b.results?.model).toBe('droplab-byte-12l');
    expect(b.results?.layers).toBe(12);
    expect(b.results?.importance.attn).toEqual(j.importance.attn);
    expect(b.results?.perplexity?.value).toBe(j.perplexity);
  });

  it("both of LLM-Drop's .pt files with the model's config.json: scores, cost shape, name", () => {
    const b = readImportFiles([attn(), mlp(), modelConfig()]);
    expect(b.results?.source).toBe('llm-drop');
    expect(b.results?.layers).toBe(12);
    expect(b.results?.drop).toEqual({ attn: [3], mlp: [] });
    expect(b.config?.spec.numLayers).toBe(12);
    expect(b.config?.drop).toBeNull();
  });

  it('a pruned config.json alone: its drops (index list and boolean mask)', () => {
    const b = readImportFiles([pruned()]);
    expect(b.results).toBeNull();
    expect(b.config?.drop).toEqual({ attn: [3, 5], mlp: [7] });
    expect(b.config?.model).toBe('droplab-byte-12l');
  });

  const refused: [string, () => { name: string; bytes: Uint8Array }[], RegExp][] = [
    ['a config.json without drop lists, alone', () => [modelConfig()], /has no drop_attn_list or drop_mlp_list/],
    [
      'a .pt file whose name says neither attn nor mlp',
      () => [file('torch-pt', 'strided_attn.pt', 'sims.pt')],
      /cannot tell whether/,
    ],
    ['a truncated .pt', () => [file('torch-pt', 'truncated_mlp.pt')], /damaged or truncated zip/],
    ['a pickle that is not a tensor', () => [file('torch-pt', 'evil.pt', 'evil_attn.pt')], /not part of a tensor/],
    [
      'results and a config of another depth',
      () => {
        const c = JSON.parse(new TextDecoder().decode(modelConfig().bytes));
        c.num_hidden_layers = 24;
        return [attn(), { name: 'config.json', bytes: new TextEncoder().encode(JSON.stringify(c)) }];
      },
      /describes a 24-layer model but llama_all_attn_similarities.pt holds 12 layers/,
    ],
    ['two results files', () => [results(), results()], /one set of results at a time/],
    ['a results file with .pt files', () => [results(), attn()], /one set of results at a time/],
    [
      'JSON that is neither',
      () => [{ name: 'x.json', bytes: new TextEncoder().encode('{"a":1}') }],
      /neither a DropLab results file/,
    ],
    [
      'binary junk',
      () => [{ name: 'x.json', bytes: new Uint8Array([0xff, 0xfe, 0x00]) }],
      /neither a .pt file nor UTF-8/,
    ],
    ['nothing', () => [], /No file was given/],
  ];
  for (const [what, files, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => readImportFiles(files())).toThrow(message);
    });
  }
});
