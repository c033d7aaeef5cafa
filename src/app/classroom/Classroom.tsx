/**
 * Classroom mode: a header toggle (also `?classroom=1`, or `c=1` in a share link, which Copy share link
 * writes; remembered in localStorage), large type and a
 * simpler page (CSS on html.classroom), a bar with presets and a spoken perplexity line (aria-live), and
 * the guided tour on the bundled model (TourCard).
 */
import { useEffect, useRef } from 'react';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { type PresetId, presets } from '../../state/classroom';
import { useWorkbench } from '../context';
import { formatInt, formatPercent, formatPpl } from '../format';
import { useLab } from '../lab/use-lab';
import { CopyLinkButton } from '../share/CopyLinkButton';
import '../lab/lab.css';

const STORAGE_KEY = 'droplab-classroom';

function initialClassroom(): boolean {
  try {
    const q = new URLSearchParams(window.location.search).get('classroom');
    if (q === '1' || q === 'true') return true;
    if (q === '0' || q === 'false') return false;
    return window.localStorage.getItem(STORAGE_KEY) === '1';
  } catch {
    return false;
  }
}

/** The header button; it also applies the mode to the page (html.classroom). */
export function ClassroomToggle() {
  const on = useWorkbench((s) => s.classroom.on);
  const setClassroom = useWorkbench((s) => s.setClassroom);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      if (initialClassroom()) setClassroom(true);
    }
  }, [setClassroom]);
  useEffect(() => {
    document.documentElement.classList.toggle('classroom', on);
    try {
      window.localStorage.setItem(STORAGE_KEY, on ? '1' : '0');
    } catch {
      // private windows: not remembered
    }
  }, [on]);
  return (
    <button
      type="button"
      className={`classroom-toggle${on ? ' on' : ''}`}
      aria-pressed={on}
      onClick={() => setClassroom(!on)}
      title="Large type, a simpler page, presets and a guided tour"
      data-testid="classroom-toggle"
    >
      <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
        <path
          d="M1 5.5 8 2l7 3.5L8 9 1 5.5Z M4 7.2v3.3c1 1 2.4 1.5 4 1.5s3-.5 4-1.5V7.2 M14.5 6v4"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.4"
          strokeLinejoin="round"
        />
      </svg>
      Classroom
    </button>
  );
}

/** One sentence about the current perplexity, for the bar and for screen readers. */
export function usePerplexitySentence(): string | null {
  const current = useWorkbench((s) => s.results.evals[dropKey(s.drops.current)] ?? null);
  const baseline = useWorkbench((s) => s.results.evals[dropKey(NO_DROPS)] ?? null);
  const drops = useWorkbench((s) => s.drops.current);
  if (!current) return null;
  const change =
    baseline && current !== baseline
      ? `, ${formatPercent(current.perplexity / baseline.perplexity - 1)} against the full model`
      : '';
  return `Perplexity ${formatPpl(current.perplexity)}${change} (${formatInt(current.tokens)} tokens). Dropped: ${describeDrops(drops)}.`;
}

export function PresetButtons({ ids, testPrefix = 'preset' }: { ids: PresetId[]; testPrefix?: string }) {
  const lab = useLab();
  const L = useWorkbench((s) => s.model.info?.spec.numLayers ?? 0);
  const full = useWorkbench((s) => s.results.analyses[dropKey(NO_DROPS)] ?? null);
  const drops = useWorkbench((s) => s.drops.current);
  const evals = useWorkbench((s) => s.results.evals);
  const list = presets(L, full?.importance ?? null).filter((p) => ids.includes(p.id));
  list.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  const key = dropKey(drops);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a row of toggle buttons, not a form section
    <div className="preset-buttons" role="group" aria-label="Presets">
      {list.map((p) => {
        const on = !!p.drop && dropKey(p.drop) === key;
        const ev = p.drop ? evals[dropKey(p.drop)] : undefined;
        return (
          <button
            key={p.id}
            type="button"
            className={`preset${on ? ' on' : ''}`}
            aria-pressed={on}
            disabled={!p.drop}
            onClick={() => lab.applyPreset(p.id)}
            title={p.drop ? `Drop ${describeDrops(p.drop)}` : 'Available once the full model is measured'}
            data-testid={`${testPrefix}-${p.id}`}
          >
            <span className="preset-label">{p.label}</span>
            {ev && <span className="preset-ppl">ppl {formatPpl(ev.perplexity)}</span>}
          </button>
        );
      })}
    </div>
  );
}

/** Under the header in classroom mode: the tour button, the presets and the perplexity line. */
export function ClassroomBar() {
  const on = useWorkbench((s) => s.classroom.on);
  const tourOpen = useWorkbench((s) => s.classroom.tour.open);
  const tour = useWorkbench((s) => s.tour);
  const sentence = usePerplexitySentence();
  if (!on) return null;
  return (
    <section className="classroom-bar" aria-label="Classroom" data-testid="classroom-bar">
      <button type="button" className="tour-start" onClick={() => tour({ type: 'start' })} data-testid="tour-start">
        {tourOpen ? 'Restart the tour' : 'Start the guided tour'}
      </button>
      <PresetButtons
        ids={['full', 'attn-third', 'attn-two-thirds', 'mlp-third', 'block-third']}
        testPrefix="bar-preset"
      />
      <p className="classroom-ppl" aria-live={tourOpen ? 'off' : 'polite'} data-testid="classroom-ppl">
        {sentence ?? 'Measuring…'}
      </p>
      {/* The side panels are hidden in classroom mode: the link (with classroom mode in it) is copied here. */}
      <CopyLinkButton className="secondary-button" testId="classroom-copy-link" />
    </section>
  );
}
