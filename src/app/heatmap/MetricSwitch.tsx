import type { MetricView } from '../../state/share-link';
import { METRIC_VIEWS } from '../../state/share-link';

const SHORT: Record<MetricView, string> = {
  cosine: 'LLM-Drop',
  nonorm: 'No norm',
  block: 'Block',
  dnll: 'Drop-one ΔNLL',
};

/** A segmented control choosing the heatmap metric (radio buttons underneath: keyboard-usable). */
export function MetricSwitch({ value, onChange }: { value: MetricView; onChange(m: MetricView): void }) {
  return (
    <fieldset className="segmented" aria-label="Heatmap metric">
      {METRIC_VIEWS.map((m) => (
        <label key={m} className={m === value ? 'on' : undefined}>
          <input type="radio" name="metric" value={m} checked={m === value} onChange={() => onChange(m)} />
          {SHORT[m]}
        </label>
      ))}
    </fieldset>
  );
}
