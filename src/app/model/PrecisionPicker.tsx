/**
 * The weight precision the engine holds a model in (issue 13): automatic (the most precise that fits
 * this device) or chosen, with what it costs in accuracy as measured. A choice applies when a model
 * loads; a bundled or Hub model can be reloaded at once.
 */
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../../engine/api';
import { inputFor, sourceLabel } from '../../state/model-source';
import { useController, useWorkbench } from '../context';
import { deviationText, PRECISION_LABELS } from './precision-text';

export function PrecisionPicker({ disabled }: { disabled: boolean }) {
  const controller = useController();
  const choice = useWorkbench((s) => s.ui.weightChoice);
  const info = useWorkbench((s) => s.model.info);
  const inUse: WeightPrecision = info?.weights ?? 'fp32';
  const differs = info !== null && choice !== null && choice !== inUse;
  const reloadable = info !== null && info.source.kind !== 'local';
  return (
    <div className="precision-picker" data-testid="precision-picker">
      <label className="field">
        <span>Weights</span>
        <select
          value={choice ?? 'auto'}
          disabled={disabled}
          onChange={(e) =>
            void controller.setWeightPrecision(e.target.value === 'auto' ? null : (e.target.value as WeightPrecision))
          }
          aria-describedby="precision-help"
        >
          <option value="auto">Automatic (the most precise that fits)</option>
          {WEIGHT_PRECISIONS.map((p) => (
            <option key={p} value={p}>
              {PRECISION_LABELS[p]}
            </option>
          ))}
        </select>
      </label>
      <p id="precision-help" className="hint" data-testid="precision-in-use">
        {info ? (
          <>
            In use: <strong>{inUse}</strong>, {deviationText(inUse)}.
          </>
        ) : (
          'Applies when a model loads.'
        )}
        {differs &&
          (reloadable ? (
            <>
              {' '}
              <button
                type="button"
                className="link-button"
                disabled={disabled}
                onClick={() => void controller.loadModel(inputFor(info.source))}
                data-testid="precision-reload"
              >
                Reload {sourceLabel(info.source)} at {choice}
              </button>
            </>
          ) : (
            ` Pick the folder again to load it at ${choice}.`
          ))}
      </p>
    </div>
  );
}
