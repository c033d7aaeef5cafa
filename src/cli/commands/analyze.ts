/** droplab analyze: importance of every attention, MLP and block; boundary similarity; perplexity. */
import type { Flags } from '../args';
import { type CliIo, type Command, DATA_FLAGS, DROP_ATTN_FLAG, DROP_MLP_FLAG, RUN_FLAGS } from '../command';
import { describeDrop, fixed, matrix, table } from '../format';

export const analyze: Command = {
  name: 'analyze',
  summary: 'importance of every attention, MLP and block; similarity matrix; perplexity',
  synopsis:
    '--model DIR --text FILE [--seq-len N] [--windows N] [--drop-attn LIST] [--drop-mlp LIST] [--device cpu|webgpu] [--json] [--out FILE]',
  flags: [...DATA_FLAGS, DROP_ATTN_FLAG, DROP_MLP_FLAG, ...RUN_FLAGS],
  details: [
    'Importance is 1 - mean cosine similarity over every token of every window (LLM-Drop):',
    '  attention l: cos(x_l, m_l)   MLP l: cos(m_l, x_{l+1})   block l: cos(x_l, x_{l+1}) (ShortGPT)',
    'where x_l enters block l and m_l = x_l + Attn_l(N1(x_l)). Lower = more redundant = dropped first.',
    'The "no norm" columns are LLM-Drop\'s layer_drop_norm=False variant: cos(N(x), F(N(x))).',
    'With --drop-attn/--drop-mlp the scores are those of the model with those sublayers dropped ("-").',
    'The similarity matrix is S[i][j] = mean cos(x_i, x_j) over the block boundaries x_0 (embedding) .. x_L.',
    '--json adds the angular distance of Gromov et al. (angular[l][n-1], last token, mean over windows).',
  ].join('\n'),
  async run(flags: Flags, io: CliIo) {
    const { withSession, dropFromFlags, evalJson, headerLines, perplexityLine } = await import('../session');
    const { wantsJson, emitJson, resultJson } = await import('../result-json');
    return withSession(flags, io, async (s) => {
      const a = await s.engine.analyze(dropFromFlags(flags), s.progress);
      s.done();
      if (wantsJson(flags)) {
        await emitJson(
          io,
          flags,
          resultJson('analyze', s, flags, {
            drop: a.drop,
            ...evalJson(a.eval),
            importance: a.importance,
            similarity: a.similarity,
            angular: a.angular,
          }),
        );
        return 0;
      }
      const L = s.info.spec.numLayers;
      const imp = a.importance;
      const lines: string[] = [headerLines(s)];
      if (a.drop.attn.length || a.drop.mlp.length) lines.push(`dropped ${describeDrop(a.drop)}\n`);
      lines.push(`${perplexityLine(a.eval)}\n`);
      lines.push('Importance = 1 - mean cos(input, output); lower = more redundant');
      const rank = (xs: number[]) => {
        const order = xs
          .map((v, i) => [v, i] as const)
          .filter(([v]) => !Number.isNaN(v))
          .sort((p, q) => p[0] - q[0] || p[1] - q[1]);
        const r = new Array<string>(xs.length).fill('-');
        order.forEach(([, i], k) => {
          r[i] = String(k + 1);
        });
        return r;
      };
      const ra = rank(imp.attn);
      const rm = rank(imp.mlp);
      const rb = rank(imp.block);
      const rows = Array.from({ length: L }, (_, l) => [
        String(l),
        fixed(imp.attn[l]),
        ra[l],
        fixed(imp.mlp[l]),
        rm[l],
        fixed(imp.block[l]),
        rb[l],
        fixed(imp.attnNoNorm[l]),
        fixed(imp.mlpNoNorm[l]),
      ]);
      lines.push(
        table(
          ['layer', 'attention', 'rank', 'MLP', 'rank', 'block', 'rank', 'attn (no norm)', 'MLP (no norm)'],
          rows,
          new Array(9).fill('right'),
        ),
      );
      lines.push('(rank 1 = least important = first to drop)\n');
      lines.push('Similarity of block boundaries, mean cos(x_i, x_j); x0 = embedding output');
      const labels = Array.from({ length: L + 1 }, (_, i) => `x${i}`);
      lines.push(matrix(labels, a.similarity, L >= 16 ? 2 : 3));
      io.out(`${lines.join('\n')}\n`);
      return 0;
    });
  },
};
