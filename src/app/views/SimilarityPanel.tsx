/** Layer x layer cosine similarity of the residual-stream states at block (or sublayer) boundaries. */
import { useMemo } from 'react';
import { ChartFrame } from '../charts/ChartFrame';
import { MatrixHeatmap } from '../charts/MatrixHeatmap';
import { useWorkbench } from '../context';
import { formatValue } from '../format';
import { useShownAnalysis } from './use-shown-analysis';
import { boundaryName, similarityData } from './similarity-data';

export function SimilarityPanel() {
  const shown = useShownAnalysis();
  const scope = useWorkbench((s) => s.ui.similarityScope);
  const setScope = useWorkbench((s) => s.setSimilarityScope);
  const data = useMemo(() => (shown ? similarityData(shown.analysis, scope) : null), [shown, scope]);
  const name = (i: number) => (scope === 'blocks' ? `x${i}` : boundaryName(i));
  return (
    <ChartFrame
      id="similarity"
      title="Boundary similarity"
      subtitle="Mean cosine similarity of the hidden states at every pair of boundaries (x_l enters block l). Bright off the diagonal = the layers between change little."
      stale={shown?.stale}
      empty={data ? null : 'Appears once the model is measured.'}
      actions={
        <label className="inline-select">
          <span>States</span>
          <select value={scope} onChange={(e) => setScope(e.target.value as 'blocks' | 'sublayers')} aria-label="Which boundaries">
            <option value="blocks">block boundaries</option>
            <option value="sublayers">every sublayer</option>
          </select>
        </label>
      }
    >
      {data && (
        <MatrixHeatmap
          testId="similarity-heatmap"
          values={data.values}
          rowLabels={data.rowLabels}
          colLabels={data.colLabels}
          rowTitle={scope === 'blocks' ? 'layer i (state x_i)' : 'boundary i'}
          colTitle={scope === 'blocks' ? 'layer j (state x_j)' : 'boundary j'}
          domain={data.domain}
          valueLabel="Cosine similarity"
          describe={(r, c, v) => `cos(${name(r)}, ${name(c)}) = ${formatValue(v)}`}
        />
      )}
    </ChartFrame>
  );
}
