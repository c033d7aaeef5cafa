/** Gromov et al.'s angular distance between x_l and x_{l+n}, for every start l and width n. */
import { formatValue } from '../format';
import { MatrixPanel } from './MatrixPanel';
import { angularData } from './similarity-data';

const SUBTITLE =
  'arccos(cos(x_l, x_l+n))/π on the last token, averaged over windows (Gromov et al.). Dark = the n layers from l could go together.';

export function AngularPanel() {
  return (
    <MatrixPanel
      id="angular"
      title="Angular distance"
      subtitle={SUBTITLE}
      dataOf={angularData}
      rowName="start layer l"
      colName="width n"
      colTitle="width n (layers skipped)"
      valueName="Angular distance"
      describe={(r, c, v) =>
        v === null
          ? `l=${r}, n=${c + 1}: past the last layer`
          : `layers ${r}..${r + c} (l=${r}, n=${c + 1}): d = ${formatValue(v)}`
      }
    />
  );
}
