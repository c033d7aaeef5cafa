/** What a quick plan chose, in order, with the score each choice was made on (pure, for QuickPlan). */
import type { PlanRequest, PlanResult } from '../../engine/api';

export interface PlannedChoice {
  /** 1-based order of the choice. */
  order: number;
  kind: 'attn' | 'mlp' | 'block';
  layer: number;
  /** The importance it was chosen on (lower = more redundant): its score in the step that chose it. */
  score: number;
  /** The scoring pass (1-based) that chose it: always 1 for one-shot, k for the k-th of an iterative plan. */
  step: number;
}

export interface PlanSummary {
  request: PlanRequest;
  choices: PlannedChoice[];
}

/** The choices of a plan in order, each with the score the planner ranked it by (norm as requested). */
export function planChoices(req: PlanRequest, r: PlanResult): PlannedChoice[] {
  const norm = req.norm ?? true;
  const out: PlannedChoice[] = [];
  r.steps.forEach((st, i) => {
    for (const c of st.chosen) {
      const s = st.scores;
      const score =
        c.kind === 'block'
          ? s.block[c.layer]
          : c.kind === 'attn'
            ? (norm ? s.attn : s.attnNoNorm)[c.layer]
            : (norm ? s.mlp : s.mlpNoNorm)[c.layer];
      out.push({ order: out.length + 1, kind: c.kind, layer: c.layer, score, step: i + 1 });
    }
  });
  return out;
}

export const KIND_LABEL: Record<PlannedChoice['kind'], string> = { attn: 'Attention', mlp: 'MLP', block: 'Block' };
