import { sourceLabel } from '../../state/model-source';
import { useWorkbench } from '../context';
import { formatCount } from '../format';

/** The loaded model in the header. */
export function ModelSummary() {
  const info = useWorkbench((s) => s.model.info);
  if (!info) return null;
  return (
    <span className="model-summary" data-testid="model-summary">
      <strong>{sourceLabel(info.source)}</strong> · {info.spec.numLayers} layers · {formatCount(info.parameters)} params
    </span>
  );
}
