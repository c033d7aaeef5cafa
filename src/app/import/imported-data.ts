/** Imported results in the shapes the workbench's views draw (pure). */
import type { AnalysisResult } from '../../engine/api';
import type { SharedResults } from '../../state/share-results';

/** An AnalysisResult-shaped view of imported scores: what they do not hold is NaN or empty. */
export function importedAnalysis(r: SharedResults): AnalysisResult {
  const { results } = r;
  const L = results.layers;
  const nan = () => new Array<number>(L).fill(Number.NaN);
  return {
    drop: results.drop,
    importance: {
      attn: results.importance.attn,
      mlp: results.importance.mlp,
      block: results.importance.block ?? nan(),
      attnNoNorm: nan(),
      mlpNoNorm: nan(),
    },
    similarity: results.similarity ?? [],
    angular: results.angular ?? [],
    eval: {
      drop: results.drop,
      meanNll: results.perplexity ? Math.log(results.perplexity.value) : Number.NaN,
      perplexity: results.perplexity?.value ?? Number.NaN,
      tokens: results.perplexity?.tokens ?? 0,
      seqLen: results.perplexity?.seqLen ?? 0,
      windows: results.perplexity?.windows ?? 0,
    },
  };
}

/** "LLM-Drop similarity caches (2 files)" / "a DropLab results file". */
export function sourceText(r: SharedResults): string {
  return r.results.source === 'llm-drop' ? "LLM-Drop's similarity caches" : 'a DropLab results file';
}
