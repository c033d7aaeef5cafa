/** Pure helpers of the generation and speed panels: settings, agreement of two runs, speed rows. */
import type {
  DropConfig,
  GenerateEvent,
  GenerateRequest,
  GenerateSummary,
  GenerationModel,
  GenerationRun,
  SpeedPoint,
  SpeedReport,
} from '../../engine/api';
import { describeDrops } from '../../state/drops';
import { formatInt } from '../format';

/** "attention 3, 5 · MLP 7 dropped", or "nothing dropped" (not "nothing dropped dropped"). */
export function droppedLabel(d: DropConfig): string {
  return d.attn.length + d.mlp.length === 0 ? 'nothing dropped' : `${describeDrops(d)} dropped`;
}

/**
 * Why the KV cache is float32 here and fp16 in the Savings panel: the exported graph that Generate and
 * Speed run keeps its cache in float32 (every export format computes in float32); Savings counts fp16, as
 * a deployment usually stores it, so its bytes are half of these.
 */
export const KV_FLOAT32_WHY =
  'float32, as the exported graph run here keeps it; the Savings panel counts fp16 (half), as a deployment usually stores it';

export interface SamplingSettings {
  mode: 'greedy' | 'sample';
  temperature: number;
  topK: number;
  maxNewTokens: number;
  seed: number;
}

export const DEFAULT_SAMPLING: SamplingSettings = {
  mode: 'greedy',
  temperature: 0.8,
  topK: 40,
  maxNewTokens: 64,
  seed: 1,
};
export const MAX_NEW_TOKENS = 512;
export const DEFAULT_PROMPT = 'Call me Ishmael. Some years ago';

const clamp = (x: number, lo: number, hi: number, dflt: number) =>
  Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : dflt;

/** The worker request for these settings: greedy is temperature 0; numbers clamped to sane ranges. */
export function generateRequest(prompt: string, drop: DropConfig, s: SamplingSettings): GenerateRequest {
  const greedy = s.mode === 'greedy';
  return {
    prompt,
    drop,
    maxNewTokens: Math.round(clamp(s.maxNewTokens, 1, MAX_NEW_TOKENS, DEFAULT_SAMPLING.maxNewTokens)),
    temperature: greedy ? 0 : clamp(s.temperature, 0.05, 5, DEFAULT_SAMPLING.temperature),
    topK: greedy ? 0 : Math.round(clamp(s.topK, 0, 100_000, 0)),
    seed: Math.round(clamp(s.seed, 0, 2 ** 32 - 1, 1)),
  };
}

/** How many leading tokens two runs share. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** "The two continuations agree for 17 of 64 tokens", or that they are identical. */
export function agreementText(full: readonly number[], pruned: readonly number[]): string {
  const n = commonPrefix(full, pruned);
  if (n === full.length && n === pruned.length) return `Identical continuations (${n} tokens).`;
  if (n === 0) return 'The continuations differ from the first token.';
  return `Same first ${n} token${n === 1 ? '' : 's'}, then they diverge.`;
}

export function stopText(r: Pick<GenerationRun, 'stop' | 'ids'>): string {
  if (r.stop === 'eos') return 'stopped at end-of-text';
  if (r.stop === 'cancelled') return 'stopped';
  return 'max tokens reached';
}

export function formatRate(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x >= 1000) return formatInt(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** pruned / full, as "×1.23". */
export function formatRatio(pruned: number, full: number): string {
  if (!(full > 0) || !Number.isFinite(pruned)) return '—';
  return `×${(pruned / full).toFixed(2)}`;
}

export interface SpeedRow {
  context: number;
  full: SpeedPoint;
  pruned: SpeedPoint;
  prefillRatio: number;
  decodeRatio: number;
  kvRatio: number;
}

/** One row per context: full and pruned side by side, with pruned/full ratios (speed up > 1, KV < 1). */
export function speedRows(r: SpeedReport): SpeedRow[] {
  return r.full.map((f, i) => {
    const p = r.pruned[i];
    return {
      context: f.context,
      full: f,
      pruned: p,
      prefillRatio: p.prefillTokensPerS / f.prefillTokensPerS,
      decodeRatio: p.decodeTokensPerS / f.decodeTokensPerS,
      kvRatio: f.kvCacheBytes > 0 ? p.kvCacheBytes / f.kvCacheBytes : Number.NaN,
    };
  });
}

/** Context lengths offered, limited to what the model takes (learned positions) and at least one. */
export function contextChoices(maxPositions: number | null, decodeSteps: number): number[] {
  const all = [32, 64, 128, 256, 512];
  const ok = maxPositions === null ? all : all.filter((c) => c + decodeSteps <= maxPositions);
  return ok.length ? ok : [Math.max(1, (maxPositions ?? 33) - decodeSteps)];
}

/**
 * The streams as the finished run has them. Token events travel on their own message port, so the last
 * ones can arrive after the result: the result is the truth.
 */
export function finalStreams(
  streams: Partial<Record<GenerationModel, GenerateEvent>>,
  summary: Pick<GenerateSummary, 'full' | 'pruned'>,
): Record<GenerationModel, GenerateEvent> {
  const one = (model: GenerationModel): GenerateEvent => {
    const r = summary[model];
    const ev = streams[model];
    return {
      model,
      ids: r.ids,
      text: r.text,
      done: true,
      stop: r.stop,
      firstTokenMs: ev?.firstTokenMs,
      elapsedMs: ev?.elapsedMs ?? 0,
    };
  };
  return { full: one('full'), pruned: one('pruned') };
}
