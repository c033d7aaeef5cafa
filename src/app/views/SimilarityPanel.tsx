/** Layer x layer cosine similarity of the residual-stream states at the block boundaries x_0..x_L. */
import { formatValue } from '../format';
import { MatrixPanel } from './MatrixPanel';
import { similarityData } from './similarity-data';

const SUBTITLE =
  'Mean cosine similarity of the hidden states x_i and x_j (x_l enters block l; x_0 is the embedding). Bright off the diagonal = the blocks between change little.';

export function SimilarityPanel() {
  return (
    <MatrixPanel
      id="similarity"
      title="Layer similarity"
      subtitle={SUBTITLE}
      dataOf={similarityData}
      rowName="state x_i"
      colName="state x_j"
      valueName="Cosine similarity"
      describe={(r, c, v) => `cos(x${r}, x${c}) = ${formatValue(v)}`}
    />
  );
}
