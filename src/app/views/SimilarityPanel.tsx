/** Layer x layer cosine similarity of the residual-stream states at the block boundaries x_0..x_L. */
import { useMemo } from 'react';
import { MatrixExport } from '../chart-export/panel-exports';
import { ChartFrame } from '../charts/ChartFrame';
import { MatrixHeatmap } from '../charts/MatrixHeatmap';
import { formatValue } from '../format';
import { similarityData } from './similarity-data';
import { useShownAnalysis } from './use-shown-analysis';

const SUBTITLE =
  'Mean cosine similarity of the hidden states x_i and x_j (x_l enters block l; x_0 is the embedding). Bright off the diagonal = the blocks between change little.';

export function SimilarityPanel() {
  const shown = useShownAnalysis();
  const data = useMemo(() => (shown ? similarityData(shown.analysis) : null), [shown]);
  return (
    <ChartFrame
      id="similarity"
      title="Layer similarity"
      subtitle={SUBTITLE}
      actions={
        <MatrixExport
          chartId="similarity"
          title="Layer similarity"
          subtitle={SUBTITLE}
          data={data}
          rowName="state x_i"
          colName="state x_j"
          valueName="Cosine similarity"
        />
      }
      stale={shown?.stale}
      empty={data ? null : 'Appears once the model is measured.'}
    >
      {data && (
        <MatrixHeatmap
          testId="similarity-heatmap"
          values={data.values}
          rowLabels={data.rowLabels}
          colLabels={data.colLabels}
          rowTitle="state x_i"
          colTitle="state x_j"
          domain={data.domain}
          valueLabel="Cosine similarity"
          describe={(r, c, v) => `cos(x${r}, x${c}) = ${formatValue(v)}`}
        />
      )}
    </ChartFrame>
  );
}
