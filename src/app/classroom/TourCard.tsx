/**
 * The guided tour (classroom mode), a non-modal dialog at the bottom right: one step at a time, the
 * panel it talks about scrolled into view and outlined, presets to press, and the perplexity read out
 * (aria-live) as it changes. Focus goes to the step's heading on every step and back to where it was
 * when the tour closes; Escape closes it.
 */
import { type ReactNode, useEffect, useRef } from 'react';
import { leastImportant, type PresetId, presetCounts, presets, TOUR_STEPS, type TourStep } from '../../state/classroom';
import { defaultMaxSublayers } from '../../state/curves';
import type { DropConfig, Importance } from '../../engine/api';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { useController, useWorkbench } from '../context';
import { formatPercent, formatPpl, formatValue } from '../format';
import { useLab } from '../lab/use-lab';
import { AccuracyStep } from './AccuracyStep';
import { PresetButtons, usePerplexitySentence } from './Classroom';
import '../lab/lab.css';

function targetElement(target: string | null): HTMLElement | null {
  if (!target) return null;
  return (
    document.querySelector<HTMLElement>(`[data-chart="${target}"]`) ??
    document.querySelector<HTMLElement>(`[data-testid="${target}-panel"]`)
  );
}

function Body({ step }: { step: TourStep }) {
  const lab = useLab();
  const controller = useController();
  const info = useWorkbench((s) => s.model.info);
  const drops = useWorkbench((s) => s.drops.current);
  // What the heatmap shows: the importances of the current configuration, not the full model's.
  const shown = useWorkbench((s) => s.results.analyses[dropKey(s.drops.current)] ?? null);
  const curvesRunning = useWorkbench((s) => s.curves.job.state === 'running');
  const L = info?.spec.numLayers ?? 0;
  const { third, twoThirds } = presetCounts(L || 12);
  const bundled = info?.source.kind === 'bundled';
  let content: ReactNode;
  switch (step.id) {
    case 'heatmap': {
      const fact = heatmapFact(shown?.importance ?? null, drops);
      content = (
        <>
          <p>
            Each cell is one <strong>sublayer</strong>: the top row holds the attention sublayers, the bottom row the
            MLPs, one column per layer, from the input (left) to the output (right).
          </p>
          <p>
            The colour is LLM-Drop's <strong>importance</strong>: 1 − the cosine similarity between what goes into a
            sublayer and what comes out. A dark cell barely changes the hidden state, so it is a candidate to drop.
            Click a cell to drop it; click it again to bring it back.
          </p>
          {fact && (
            <p className="tour-fact" data-testid="tour-fact">
              {fact}
            </p>
          )}
          {!bundled && info && (
            <p className="tour-fact">
              The tour is written for the bundled model.{' '}
              <button type="button" className="link-button" onClick={() => void lab.loadBundledModel()}>
                Load it
              </button>
            </p>
          )}
        </>
      );
      break;
    }
    case 'attention':
      content = (
        <p>
          Drop the {third} attention sublayers with the lowest importance and watch the perplexity (lower is better),
          then try {twoThirds}. In large models many attention layers, the deep ones above all, turn out to be
          redundant.
        </p>
      );
      break;
    case 'mlp':
      content = (
        <>
          <p>Now drop the same number of MLP sublayers instead, and compare: which hurts more in this model?</p>
          <Compare ids={['full', 'attn-third', 'mlp-third', 'attn-two-thirds']} />
          <p className="tour-small">
            In LLM-Drop's experiments on large models (Llama, Mistral) many attention layers could go with little loss
            while dropping MLPs hurt: "not all attention is needed". A tiny model need not agree.
          </p>
        </>
      );
      break;
    case 'curves':
      content = (
        <>
          <p>
            The curves show all four ways of dropping at once, as more and more sublayers go: attention only, MLP only,
            whole blocks, or attention and MLP ranked together. The ring marks what is dropped now.
          </p>
          <button
            type="button"
            onClick={() => {
              void lab.computeCurves(defaultMaxSublayers(L));
              targetElement('curves')?.scrollIntoView({ block: 'center', behavior: 'smooth' });
            }}
            disabled={curvesRunning || !L}
            data-testid="tour-compute-curves"
          >
            {curvesRunning ? 'Computing the curves…' : 'Compute the curves'}
          </button>
        </>
      );
      break;
    case 'accuracy':
      content = <AccuracyStep />;
      break;
    case 'done':
      content = (
        <p>
          Your turn: click cells to drop and restore sublayers (Ctrl+Z undoes), look at a sublayer's effect on each
          token, and press Copy share link to share exactly what you see.{' '}
          <button type="button" className="link-button" onClick={() => controller.setDrops(NO_DROPS)}>
            Restore every sublayer
          </button>
        </p>
      );
      break;
  }
  return (
    <>
      {content}
      {step.presets.length > 0 && <PresetButtons ids={step.presets} testPrefix="tour-preset" />}
    </>
  );
}

/**
 * The heatmap step's sentence about the least and most important sublayers, from what the heatmap shows
 * now: the current configuration's importances, dropped sublayers left out (they are blank there). Null
 * while that analysis is not measured yet.
 */
export function heatmapFact(imp: Importance | null, drops: DropConfig): string | null {
  if (!imp) return null;
  const kept = (kind: 'attn' | 'mlp') =>
    imp[kind].map((v, l) => (drops[kind].includes(l) || !Number.isFinite(v) ? Number.NaN : v));
  const attn = kept('attn');
  const least = leastImportant(attn, 1)[0];
  const most = [
    ...attn.map((v, l) => ({ v, k: `attention ${l}` })),
    ...kept('mlp').map((v, l) => ({ v, k: `MLP ${l}` })),
  ]
    .filter((c) => Number.isFinite(c.v))
    .sort((a, b) => b.v - a.v)[0];
  if (least === undefined || !most) return null;
  const where = drops.attn.length + drops.mlp.length === 0 ? 'In this model' : `With ${describeDrops(drops)} dropped`;
  const attnWord = drops.attn.length ? 'remaining attention sublayer' : 'attention sublayer';
  const mostWord = drops.attn.length + drops.mlp.length ? 'remaining sublayer' : 'sublayer';
  return `${where}, the least important ${attnWord} is layer ${least} (${formatValue(attn[least])}); the most important ${mostWord} is ${most.k} (${formatValue(most.v)}).`;
}

/** The presets' perplexities measured so far, side by side. */
function Compare({ ids }: { ids: PresetId[] }) {
  const L = useWorkbench((s) => s.model.info?.spec.numLayers ?? 0);
  const full = useWorkbench((s) => s.results.analyses[dropKey(NO_DROPS)] ?? null);
  const evals = useWorkbench((s) => s.results.evals);
  const base = evals[dropKey(NO_DROPS)];
  const rows = presets(L, full?.importance ?? null)
    .filter((p) => ids.includes(p.id))
    .sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id))
    .map((p) => ({ p, ev: p.drop ? evals[dropKey(p.drop)] : undefined }));
  return (
    <table className="tour-compare" data-testid="tour-compare">
      <tbody>
        {rows.map(({ p, ev }) => (
          <tr key={p.id} data-preset={p.id}>
            <th scope="row">{p.label}</th>
            <td>{ev ? formatPpl(ev.perplexity) : 'not tried yet'}</td>
            <td>{ev && base && p.id !== 'full' ? formatPercent(ev.perplexity / base.perplexity - 1) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TourCard() {
  const on = useWorkbench((s) => s.classroom.on);
  const tourState = useWorkbench((s) => s.classroom.tour);
  const tour = useWorkbench((s) => s.tour);
  const sentence = usePerplexitySentence();
  const heading = useRef<HTMLHeadingElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const open = on && tourState.open;
  const step = TOUR_STEPS[tourState.step] ?? TOUR_STEPS[0];

  // Remember where focus was when the tour opened, and give it back when it closes.
  useEffect(() => {
    document.documentElement.classList.toggle('touring', open);
    if (open) {
      const a = document.activeElement as HTMLElement | null;
      if (a && a !== document.body && !a.closest('.tour-card')) returnTo.current = a;
      return;
    }
    const back = returnTo.current;
    returnTo.current = null;
    if (back?.isConnected) back.focus();
    else document.querySelector<HTMLElement>('[data-testid="tour-start"]')?.focus();
  }, [open]);

  // Each step: focus its heading, outline its panel and bring it into view.
  useEffect(() => {
    if (!open) return;
    heading.current?.focus();
    const el = targetElement(step.target);
    if (!el) return;
    el.classList.add('tour-target');
    el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    return () => el.classList.remove('tour-target');
  }, [open, step]);

  if (!open) return null;
  const n = TOUR_STEPS.length;
  const last = tourState.step === n - 1;
  return (
    <div
      className="tour-card"
      role="dialog"
      aria-modal="false"
      aria-labelledby="tour-title"
      data-testid="tour"
      data-step={step.id}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          tour({ type: 'close' });
        }
      }}
    >
      <div className="tour-head">
        <span className="tour-count">
          Step {tourState.step + 1} of {n}
        </span>
        <button
          type="button"
          className="ghost-button"
          onClick={() => tour({ type: 'close' })}
          aria-label="Close the tour"
          data-testid="tour-close"
        >
          ✕
        </button>
      </div>
      <h2 id="tour-title" ref={heading} tabIndex={-1}>
        {step.title}
      </h2>
      <div className="tour-body">
        <Body step={step} />
      </div>
      <p className="tour-ppl" aria-live="polite" data-testid="tour-ppl">
        {sentence ?? 'Measuring the model…'}
      </p>
      <div className="tour-nav">
        <ol className="tour-dots" aria-label="Steps">
          {TOUR_STEPS.map((s, i) => (
            <li key={s.id}>
              <button
                type="button"
                className={`tour-dot${i === tourState.step ? ' on' : ''}`}
                aria-current={i === tourState.step ? 'step' : undefined}
                aria-label={`Step ${i + 1}: ${s.title}`}
                onClick={() => tour({ type: 'goto', step: i })}
              />
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="secondary-button"
          onClick={() => tour({ type: 'back' })}
          disabled={tourState.step === 0}
          data-testid="tour-back"
        >
          Back
        </button>
        <button type="button" onClick={() => tour({ type: 'next' })} data-testid="tour-next">
          {last ? 'Finish' : 'Next'}
        </button>
      </div>
    </div>
  );
}
