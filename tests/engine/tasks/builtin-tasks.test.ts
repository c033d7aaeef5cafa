/**
 * The built-in lm-eval tasks (issue 14) read from parquet files in the Hub's layout, served by a local
 * server: each task's prompt construction and preprocessing on items written here in the datasets'
 * columns (what lm-eval's yaml/utils build from them, written out by hand), the requests' (context,
 * continuation) strings, several shards in order, a file without a needed column and an unreachable or
 * missing dataset refused by name, and a built-in task scored end to end by the engine and the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, TaskError } from '../../../src/engine/errors';
import { loadBuiltinTask, loadTaskSpec } from '../../../src/engine/tasks/hub-dataset';
import { itemPairs } from '../../../src/engine/tasks/requests';
import { makeEngine } from '../setup';
import { tinyModel } from '../../fixtures/tiny-models';
import { writeTinyModel } from '../../fixtures/tiny-models-node';
import { parseOne, runCli } from '../../cli/run-cli';
import { type Column, type DatasetHub, startDatasetHub, writeParquet } from '../../support/dataset-hub';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const s = (name: string, data: string[]): Column => ({ name, kind: 'string', data });
const i64 = (name: string, data: number[]): Column => ({ name, kind: 'int64', data: data.map(BigInt) });

const ARC: Column[] = [
  s('id', ['Mercury_1', 'Mercury_2']),
  s('question', ['Which gas do plants take in from the air?', 'What makes a shadow?']),
  {
    name: 'choices',
    kind: 'choices',
    data: [
      { text: ['oxygen', 'nitrogen', 'carbon dioxide', 'helium'], label: ['A', 'B', 'C', 'D'] },
      { text: ['light blocked by an object', 'sound', 'heat'], label: ['1', '2', '3'] },
    ],
  },
  s('answerKey', ['C', '1']),
];

const HUB_FILES: Record<string, Record<string, Uint8Array>> = {
  'allenai/ai2_arc': {
    'ARC-Easy/test/0000.parquet': writeParquet(ARC),
    // ARC-Challenge in two shards: read in order.
    'ARC-Challenge/test/0000.parquet': writeParquet(ARC.map((c) => ({ ...c, data: c.data.slice(0, 1) }) as Column)),
    'ARC-Challenge/test/0001.parquet': writeParquet(ARC.map((c) => ({ ...c, data: c.data.slice(1) }) as Column)),
  },
  'baber/piqa': {
    'default/validation/0000.parquet': writeParquet([
      s('goal', ['How do I keep bread fresh?']),
      s('sol1', ['Leave it in the sun.']),
      s('sol2', ['Keep it in a sealed bag.']),
      i64('label', [1]),
    ]),
  },
  'Rowan/hellaswag': {
    'default/validation/0000.parquet': writeParquet([
      s('ind', ['24']),
      s('activity_label', ['Removing ice from car']),
      s('ctx_a', [
        'Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.',
      ]),
      s('ctx_b', ['then']),
      {
        name: 'endings',
        kind: 'list',
        data: [
          [
            ', the man adds wax to the windshield and cuts it.',
            ' [header] How to clean a car [title] Spray the   window.',
            ', the man continues removing the snow on his car.',
            ' a person board a ski lift, while two men supporting the head of the person.',
          ],
        ],
      },
      s('label', ['2']),
    ]),
  },
  'allenai/winogrande': {
    'winogrande_xl/validation/0000.parquet': writeParquet([
      s('sentence', ['Sarah was a much better surgeon than Maria so _ always got the harder cases.']),
      s('option1', ['Sarah']),
      s('option2', ['Maria']),
      s('answer', ['1']),
    ]),
  },
  'aps/super_glue': {
    'boolq/validation/0000.parquet': writeParquet([
      s('question', ['is the sky blue on a clear day']),
      s('passage', ['The sky appears blue because air scatters blue light more than red light.']),
      i64('idx', [0]),
      i64('label', [1]),
    ]),
  },
  'allenai/openbookqa': {
    'main/test/0000.parquet': writeParquet([
      s('id', ['7-980']),
      s('question_stem', ['The sun is responsible for']),
      {
        name: 'choices',
        kind: 'choices',
        data: [{ text: ['puppies learning new tricks', 'plants sprouting, blooming and wilting'], label: ['A', 'B'] }],
      },
      s('answerKey', [' B']),
    ]),
  },
  'EleutherAI/lambada_openai': {
    'default/test/0000.parquet': writeParquet([s('text', ['he looked at the old map and then at his friend'])]),
  },
  'broken/piqa-columns': {
    'default/validation/0000.parquet': writeParquet([s('goal', ['x']), s('sol1', ['a']), i64('label', [0])]),
  },
};

let hub: DatasetHub;
beforeAll(async () => {
  hub = await startDatasetHub(HUB_FILES);
});
afterAll(async () => hub?.close());

const load = (name: string) => loadBuiltinTask(name, { hubEndpoint: hub.url });

describe('built-in tasks: lm-eval prompts from the datasets columns', () => {
  it('arc_easy: "Question: ...\\nAnswer:", choices.text, gold = index of answerKey in choices.label', async () => {
    const t = await load('arc_easy');
    expect(t.kind).toBe('choice');
    expect(t.delimiter).toBe(' ');
    expect(t.items).toEqual([
      {
        context: 'Question: Which gas do plants take in from the air?\nAnswer:',
        choices: ['oxygen', 'nitrogen', 'carbon dioxide', 'helium'],
        gold: 2,
      },
      {
        context: 'Question: What makes a shadow?\nAnswer:',
        choices: ['light blocked by an object', 'sound', 'heat'],
        gold: 0,
      },
    ]);
    expect(itemPairs(t, 0)[2]).toEqual([
      'Question: Which gas do plants take in from the air?\nAnswer:',
      ' carbon dioxide',
    ]);
    expect(t.source).toBe('allenai/ai2_arc (ARC-Easy, test), 2 rows');
  });

  it('arc_challenge: two parquet shards read in order', async () => {
    const t = await load('arc_challenge');
    expect(t.items.map((x) => x.gold)).toEqual([2, 0]);
    expect(t.items[1].context).toBe('Question: What makes a shadow?\nAnswer:');
  });

  it('piqa: "Question: {goal}\\nAnswer:", [sol1, sol2], label', async () => {
    const t = await load('piqa');
    expect(t.items).toEqual([
      {
        context: 'Question: How do I keep bread fresh?\nAnswer:',
        choices: ['Leave it in the sun.', 'Keep it in a sealed bag.'],
        gold: 1,
      },
    ]);
  });

  it('hellaswag: activity_label: ctx_a + capitalized ctx_b, endings preprocessed ([title] -> ". ", [..] dropped, double spaces)', async () => {
    const t = await load('hellaswag');
    expect(t.items[0].context).toBe(
      'Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then',
    );
    expect(t.items[0].choices).toEqual([
      ', the man adds wax to the windshield and cuts it.',
      // strip, then " [title]" -> ". ", then "[header]" removed (its leading space was before it), then "  " -> " " once
      ' How to clean a car. Spray the  window.',
      ', the man continues removing the snow on his car.',
      'a person board a ski lift, while two men supporting the head of the person.',
    ]);
    expect(t.items[0].gold).toBe(2);
  });

  it('winogrande: partial scoring, the option-filled prefixes are the contexts and the rest the shared continuation', async () => {
    const t = await load('winogrande');
    expect(t.kind).toBe('partial');
    expect(t.items[0]).toEqual({
      context: '',
      choices: [
        'Sarah was a much better surgeon than Maria so Sarah',
        'Sarah was a much better surgeon than Maria so Maria',
      ],
      target: 'always got the harder cases.',
      gold: 0,
    });
    expect(itemPairs(t, 0)).toEqual([
      ['Sarah was a much better surgeon than Maria so Sarah', ' always got the harder cases.'],
      ['Sarah was a much better surgeon than Maria so Maria', ' always got the harder cases.'],
    ]);
  });

  it('boolq: "{passage}\\nQuestion: {question}?\\nAnswer:", [no, yes], acc only', async () => {
    const t = await load('boolq');
    expect(t.accNorm).toBe(false);
    expect(t.items[0]).toEqual({
      context:
        'The sky appears blue because air scatters blue light more than red light.\nQuestion: is the sky blue on a clear day?\nAnswer:',
      choices: ['no', 'yes'],
      gold: 1,
    });
  });

  it('openbookqa: question_stem, choices.text, answerKey stripped of leading spaces', async () => {
    const t = await load('openbookqa');
    expect(t.items[0]).toEqual({
      context: 'The sun is responsible for',
      choices: ['puppies learning new tricks', 'plants sprouting, blooming and wilting'],
      gold: 1,
    });
  });

  it('lambada_openai: all words but the last as context, " " + last word as the one continuation', async () => {
    const t = await load('lambada_openai');
    expect(t.kind).toBe('lambada');
    expect(t.items[0]).toEqual({ context: 'he looked at the old map and then at his', choices: [' friend'], gold: 0 });
    expect(itemPairs(t, 0)).toEqual([['he looked at the old map and then at his', ' friend']]);
  });
});

describe('built-in tasks: bad input', () => {
  it('a parquet file without a needed column: TaskError naming the column', async () => {
    const { BUILTIN } = await import('../../../src/engine/tasks/builtin');
    const def = BUILTIN.piqa;
    const orig = def.dataset;
    (def as { dataset: string }).dataset = 'broken/piqa-columns';
    try {
      const e = await load('piqa').catch((x) => x);
      expect(e).toBeInstanceOf(TaskError);
      expect(e.message).toContain('no column "sol2"');
      expect(e.details.column).toBe('sol2');
    } finally {
      (def as { dataset: string }).dataset = orig;
    }
  });

  it('an unknown built-in name, a dataset the Hub does not have, a Hub that cannot be reached', async () => {
    await expect(load('mmlu')).rejects.toThrow(TaskError);
    const missing = await loadBuiltinTask('piqa', { hubEndpoint: `${hub.url}/nothing-here` }).catch((x) => x);
    expect(missing).toBeInstanceOf(DatasetError);
    expect(missing.message).toContain('404');
    const closed = await startDatasetHub({});
    const url = closed.url;
    await closed.close();
    const off = await loadBuiltinTask('arc_easy', { hubEndpoint: url }).catch((x) => x);
    expect(off).toBeInstanceOf(DatasetError);
    expect(off.message).toContain('could not be reached');
    const e = await loadTaskSpec({ kind: 'url', url: `${hub.url}/tasks/none.jsonl` }).catch((x) => x);
    expect(e).toBeInstanceOf(DatasetError);
  });
});

describe('built-in task scored end to end', () => {
  it('the engine reads a TaskSpec from the Hub once and scores it; the CLI prints the same numbers', async () => {
    const engine = makeEngine('onnxruntime-node');
    const tiny = tinyModel('llama-gqa');
    try {
      (engine as unknown as { opts: { datasets: unknown } }).opts.datasets = { hubEndpoint: hub.url };
      await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      const before = hub.log.length;
      const r = await engine.scoreTask({ kind: 'builtin', name: 'arc_easy' }, { attn: [], mlp: [] });
      const r2 = await engine.scoreTask({ kind: 'builtin', name: 'arc_easy' }, { attn: [0], mlp: [] });
      expect(hub.log.length - before).toBe(2); // listing + one file, for both calls
      expect(r.n).toBe(2);
      expect(r.items[0].loglik).toHaveLength(4);
      expect(r2.items[0].loglik).not.toEqual(r.items[0].loglik);
      const dir = mkdtempSync(join(tmpdir(), 'droplab-tasks-'));
      try {
        writeTinyModel('llama-gqa', { dir });
        const out = await runCli([
          'tasks',
          '--model',
          dir,
          '--task',
          'arc_easy',
          '--hub',
          hub.url,
          '--json',
          '--threads',
          '1',
        ]);
        expect(out.stderr).toBe('');
        const j = parseOne(out) as { acc: number; items: { loglik: number[]; gold: number; pred: number }[] };
        expect(j.acc).toBe(r.acc);
        expect(j.items.map((x) => x.gold)).toEqual([2, 0]);
        for (let i = 0; i < 2; i++)
          for (let k = 0; k < j.items[i].loglik.length; k++)
            expect(Math.abs(j.items[i].loglik[k] - r.items[i].loglik[k])).toBeLessThan(1e-4);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});
