/** Gromov et al.'s angular distance between x_l and x_{l+n}, for every start l and width n. */
import { useMemo } from 'react';
import { MatrixExport } from '../chart-export/panel-exports';
import { ChartFrame } from '../charts/ChartFrame';
import { MatrixHeatmap } from '../charts/MatrixHeatmap';
import { formatValue } from '../format';
import { angularData } from './similarity-data';
import { useShownAnalysis } from './use-shown-analysis';

const SUBTITLE =
  'arccos(cos(x_l, x_l+n))/π on the last token, averaged over windows (Gromov et al.). Dark = the n layers from l could go together.';

export function AngularPanel() {
  const shown = useShownAnalysis();
  const data = useMemo(() => (shown ? angularData(shown.analysis) : null), [shown]);
  return (
    <ChartFrame
      id="angular"
      title="Angular distance"
      subtitle={SUBTITLE}
      actions={
        <MatrixExport
          chartId="angular"
          title="Angular distance"
          subtitle={SUBTITLE}
          data={data}
          rowName="start layer l"
          colName="width n"
          valueName="Angular distance"
        />
      }
      stale={shown?.stale}
      empty={data ? null : 'Appears once the model is measured.'}
    >
      {data && (
        <MatrixHeatmap
          testId="angular-heatmap"
          values={data.values}
          rowLabels={data.rowLabels}
          colLabels={data.colLabels}
          rowTitle="start layer l"
          colTitle="width n (layers skipped)"
          domain={data.domain}
          valueLabel="Angular distance"
          describe={(r, c, v) => (v === null ? `l=${r}, n=${c + 1}: past the last layer` : `layers ${r}..${r + c} (l=${r}, n=${c + 1}): d = ${formatValue(v)}`)}
        />
      )}
    </ChartFrame>
  );
}
