/** droplab eval: perplexity with sublayers dropped. */
import type { Flags } from '../args';
import { type CliIo, type Command, DATA_FLAGS, DROP_ATTN_FLAG, DROP_MLP_FLAG, RUN_FLAGS } from '../command';
import { describeDrop, int, pctChange, ppl } from '../format';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'perplexity and token count with attention/MLP sublayers dropped',
  synopsis:
    '--model DIR --text FILE [--seq-len N] [--windows N] [--drop-attn LIST] [--drop-mlp LIST] [--baseline] [--device cpu|webgpu] [--json] [--out FILE]',
  flags: [
    ...DATA_FLAGS,
    DROP_ATTN_FLAG,
    DROP_MLP_FLAG,
    { name: 'baseline', kind: 'bool', help: 'also evaluate the unpruned model and show the change' },
    ...RUN_FLAGS,
  ],
  details: [
    'Perplexity is exp(mean NLL) over every predicted token of the windows (position 0 of each window is',
    'context only): windows x (seq-len - 1) tokens. Dropping attention l skips Attn_l and its norm;',
    "dropping MLP l skips MLP_l and its norm (LLM-Drop's drop_attn_list / drop_mlp_list).",
  ].join('\n'),
  async run(flags: Flags, io: CliIo) {
    const { withSession, dropFromFlags, evalJson, headerLines, perplexityLine } = await import('../session');
    const { wantsJson, emitJson, resultJson } = await import('../result-json');
    return withSession(flags, io, async (s) => {
      const base = flags.baseline ? await s.engine.evaluate({ attn: [], mlp: [] }, s.progress) : null;
      const r = await s.engine.evaluate(dropFromFlags(flags), s.progress);
      s.done();
      if (wantsJson(flags)) {
        const out: Record<string, unknown> = {
          drop: r.drop,
          ...evalJson(r),
        };
        if (base)
          out.baseline = { drop: base.drop, perplexity: base.perplexity, meanNll: base.meanNll, tokens: base.tokens };
        await emitJson(io, flags, resultJson('eval', s, flags, out));
        return 0;
      }
      const L = s.info.spec.numLayers;
      const n = r.drop.attn.length + r.drop.mlp.length;
      const lines = [headerLines(s), `dropped ${describeDrop(r.drop)} (${n} of ${2 * L} sublayers)`, perplexityLine(r)];
      if (base)
        lines.push(
          `no drops   ${ppl(base.perplexity)}  (${pctChange(r.perplexity, base.perplexity)} with the drops; mean NLL ${base.meanNll.toFixed(4)} over ${int(base.tokens)} tokens)`,
        );
      io.out(`${lines.join('\n')}\n`);
      return 0;
    });
  },
};
