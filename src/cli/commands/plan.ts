/** droplab plan: LLM-Drop's layer selection (one-shot or iterative) and the perplexity it leaves. */
import type { Flags } from '../args';
import { type CliIo, type Command, DATA_FLAGS, DROP_ATTN_FLAG, DROP_MLP_FLAG, RUN_FLAGS } from '../command';
import { describeDrop, dropFlagsText, fixed, pctChange, ppl, table } from '../format';

export const plan: Command = {
  name: 'plan',
  summary: 'choose the n least important attention / MLP / block / joint sublayers to drop',
  synopsis:
    '--model DIR --text FILE --target attn|mlp|block|joint --n N [--iterative] [--no-norm] [--device cpu|webgpu] [--json] [--out FILE]',
  flags: [
    ...DATA_FLAGS,
    {
      name: 'target',
      kind: 'choice',
      choices: ['attn', 'mlp', 'block', 'joint'],
      required: true,
      metavar: 'attn|mlp|block|joint',
      help: 'what to drop; joint ranks attention and MLP together',
    },
    { name: 'n', kind: 'int', metavar: 'N', min: 1, max: 2 * 4096, required: true, help: 'how many to drop' },
    {
      name: 'iterative',
      kind: 'bool',
      help: 'drop one at a time, re-scoring with the drops applied (default: one-shot)',
    },
    {
      name: 'no-norm',
      kind: 'bool',
      help: "score attention/MLP as LLM-Drop's layer_drop_norm=False: cos(N(x), F(N(x)))",
    },
    { ...DROP_ATTN_FLAG, help: 'start from these attention layers already dropped' },
    { ...DROP_MLP_FLAG, help: 'start from these MLP layers already dropped' },
    ...RUN_FLAGS,
  ],
  details: [
    "LLM-Drop's rule: score every candidate (importance = 1 - mean cos), drop the n least important.",
    "Ties go to the lower layer, then attention before MLP. Block uses ShortGPT's Block Influence and",
    'drops attention and MLP of a layer together. The output ends with the eval flags of the result.',
  ].join('\n'),
  async run(flags: Flags, io: CliIo) {
    const { withSession, dropFromFlags, evalJson, headerLines, perplexityLine } = await import('../session');
    const { wantsJson, emitJson, resultJson } = await import('../result-json');
    return withSession(flags, io, async (s) => {
      const base = dropFromFlags(flags);
      const target = flags.target as 'attn' | 'mlp' | 'block' | 'joint';
      const n = flags.n as number;
      const iterative = flags.iterative === true;
      const norm = flags['no-norm'] !== true;
      const p = await s.engine.plan({ target, n, iterative, norm, base }, s.progress);
      const before = await s.engine.evaluate(base, s.progress);
      const after = await s.engine.evaluate(p.drop, s.progress);
      s.done();
      const scoreOf = (st: (typeof p.steps)[number], c: { kind: 'attn' | 'mlp' | 'block'; layer: number }) =>
        c.kind === 'block'
          ? st.scores.block[c.layer]
          : (norm ? st.scores[c.kind] : st.scores[c.kind === 'attn' ? 'attnNoNorm' : 'mlpNoNorm'])[c.layer];
      const chosen = p.steps.flatMap((st, i) => st.chosen.map((c) => ({ step: i + 1, ...c, score: scoreOf(st, c) })));
      if (wantsJson(flags)) {
        await emitJson(
          io,
          flags,
          resultJson('plan', s, flags, {
            target,
            n,
            iterative,
            norm,
            base: before.drop,
            drop: p.drop,
            ...evalJson(after),
            chosen,
            steps: p.steps,
            baseline: {
              drop: before.drop,
              perplexity: before.perplexity,
              meanNll: before.meanNll,
              tokens: before.tokens,
            },
          }),
        );
        return 0;
      }
      const kindName = { attn: 'attention', mlp: 'MLP', block: 'block' } as const;
      const lines = [
        headerLines(s),
        `plan   ${target}, n=${n}, ${iterative ? `iterative (${n} scoring passes)` : 'one-shot'}, layer_drop_norm=${norm ? 'True' : 'False'}` +
          (base.attn.length || base.mlp.length ? `, starting from ${describeDrop(before.drop)} dropped` : ''),
        '',
        table(
          ['order', 'sublayer', 'layer', 'importance'],
          chosen.map((c, i) => [String(i + 1), kindName[c.kind], String(c.layer), fixed(c.score)]),
          ['right', 'left', 'right', 'right'],
        ),
        '',
        `drop   ${describeDrop(p.drop)}`,
        `flags  ${dropFlagsText(p.drop) || '(none)'}`,
        perplexityLine(after),
        `before ${ppl(before.perplexity)}  (${base.attn.length || base.mlp.length ? 'with the starting drops; ' : 'no drops; '}${pctChange(after.perplexity, before.perplexity)} after the plan)`,
      ];
      io.out(`${lines.join('\n')}\n`);
      return 0;
    });
  },
};
