import { sourceLabel } from '../../state/model-source';
import { useWorkbench } from '../context';
import { formatCount } from '../format';
import { deviationText } from '../model/precision-text';

/** The loaded model in the header. */
export function ModelSummary() {
  const info = useWorkbench((s) => s.model.info);
  if (!info) return null;
  return (
    <span className="model-summary" data-testid="model-summary">
      <strong>{sourceLabel(info.source)}</strong> · {info.spec.numLayers} layers · {formatCount(info.parameters)} params
      ·{' '}
      <span className="precision-badge" title={deviationText(info.weights ?? 'fp32')} data-testid="precision-badge">
        {info.weights ?? 'fp32'}
      </span>
    </span>
  );
}
