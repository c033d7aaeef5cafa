/**
 * Results-only mode: imported scores of a model whose weights are not loaded. The heatmap (click to pick
 * drops), LLM-Drop's one-shot plan on the scores, the cost of the picked drops from the model's
 * config.json when one came with them, and the boundary similarity when the file has it. Perplexity,
 * drop-one and generation need the weights: one click applies the drops to the loaded model when it has
 * the same depth, or loads the model from the Hub when the results name it.
 */
import { type FormEvent, useMemo, useState } from 'react';
import { costSummary } from '../../state/cost';
import { toggleBlock, toggleDrop } from '../../state/drops';
import { importedSpec, planOnImported } from '../../state/imported';
import { isHubId } from '../../state/share-link';
import { ChartFrame } from '../charts/ChartFrame';
import { ColorScale } from '../charts/ColorScale';
import { MatrixHeatmap, type MatrixHeatmapProps } from '../charts/MatrixHeatmap';
import { useController, useWorkbench } from '../context';
import { formatCount, formatPpl, formatValue } from '../format';
import { sublayerHeatmapData } from '../heatmap/metric-data';
import { CostGrid } from '../results/CostGrid';
import { SublayerHeatmap } from '../heatmap/SublayerHeatmap';
import { angularData, type MatrixData, similarityData } from '../views/similarity-data';
import { importedAnalysis, sourceText } from './imported-data';

type View = 'cosine' | 'block';

export function ImportedPanel() {
  const controller = useController();
  const shown = useWorkbench((s) => s.imported.shown);
  const loaded = useWorkbench((s) => s.model.info);
  const seqLen = useWorkbench((s) => s.data.seqLen);
  const [view, setView] = useState<View>('cosine');
  const [kind, setKind] = useState<'attn' | 'mlp' | 'block'>('attn');
  const [n, setN] = useState(1);

  const analysis = useMemo(() => (shown ? importedAnalysis(shown) : null), [shown]);
  const spec = useMemo(() => (shown ? importedSpec(shown) : null), [shown]);
  if (!shown || !analysis) return null;
  const r = shown.results;
  const L = r.layers;
  const sel = shown.selection;
  const hasBlock = !!r.importance.block;
  const data = sublayerHeatmapData(view === 'block' && hasBlock ? 'block' : 'cosine', L, sel, analysis, null);
  const cost = spec ? costSummary(spec, sel, seqLen) : null;
  const sim = r.similarity ? similarityData(analysis) : null;
  const ang = r.angular ? angularData(analysis) : null;
  const sameDepth = loaded?.spec.numLayers === L;
  const name = r.model || 'an unnamed model';
  const onToggle = (k: 'attn' | 'mlp' | 'block', layer: number) =>
    controller.selectImported(k === 'block' ? toggleBlock(sel, layer) : toggleDrop(sel, k, layer));
  const plan = (e: FormEvent) => {
    e.preventDefault();
    controller.selectImported(planOnImported(shown, kind, n));
  };
  const picked = sel.attn.length + sel.mlp.length;

  return (
    <ChartFrame
      id="imported"
      title={`Imported results: ${name}`}
      subtitle={
        <>
          {L} layers, from {sourceText(shown)}
          {r.text ? `, measured on ${r.text}` : ''}
          {r.perplexity
            ? `; perplexity ${formatPpl(r.perplexity.value)}${r.perplexity.tokens ? ` over ${formatCount(r.perplexity.tokens)} tokens` : ''}`
            : ''}
          . Shown without the model's weights: click cells to pick drops.
        </>
      }
      actions={
        <button type="button" onClick={() => controller.closeImported()} data-testid="imported-close">
          Close
        </button>
      }
    >
      <div className="imported" data-testid="imported-panel" data-layers={L}>
        {hasBlock && (
          <fieldset className="segmented" aria-label="Imported metric">
            {(['cosine', 'block'] as const).map((v) => (
              <label key={v} className={v === view ? 'on' : undefined}>
                <input type="radio" name="imported-metric" value={v} checked={v === view} onChange={() => setView(v)} />
                {v === 'cosine' ? 'Attention and MLP' : 'Blocks'}
              </label>
            ))}
          </fieldset>
        )}
        <ColorScale domain={data.domain} label={data.label} />
        <SublayerHeatmap data={data} onToggle={onToggle} testId="imported-heatmap" />
        <form className="imported-plan" onSubmit={plan}>
          <label>
            Pick the{' '}
            <input
              type="number"
              min={1}
              max={L}
              value={n}
              onChange={(e) => setN(Math.max(1, Math.min(L, Number(e.target.value) || 1)))}
              aria-label="How many to pick"
              data-testid="imported-plan-n"
            />{' '}
            least important
          </label>
          <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} aria-label="Which sublayers">
            <option value="attn">attention layers</option>
            <option value="mlp">MLP layers</option>
            {hasBlock && <option value="block">blocks</option>}
          </select>
          <button type="submit" data-testid="imported-plan">
            Pick
          </button>
          <button type="button" onClick={() => controller.selectImported(r.drop)} disabled={picked === 0}>
            Clear
          </button>
        </form>
        <p className="panel-note" data-testid="imported-selection">
          Picked: attention {sel.attn.join(', ') || 'none'}; MLP {sel.mlp.join(', ') || 'none'}.
        </p>
        {cost ? (
          <CostGrid c={cost} idPrefix="imported-cost" testId="imported-cost" />
        ) : (
          <p className="panel-note">
            Import the model's config.json with the scores to see what the picked drops save.
          </p>
        )}
        <div className="needs-model" data-testid="imported-needs-model">
          <p>
            Perplexity of the picked drops, drop-one and generation need the model's weights.
            {sameDepth
              ? ''
              : loaded
                ? ` The loaded model (${loaded.name}) has ${loaded.spec.numLayers} layers, not ${L}.`
                : ''}
          </p>
          {sameDepth && loaded && (
            <button type="button" onClick={() => controller.setDrops(sel)} data-testid="imported-apply">
              Apply the picked drops to {loaded.name}
            </button>
          )}
          {!sameDepth && isHubId(r.model) && (
            <button
              type="button"
              onClick={() => void controller.loadModel({ kind: 'hub', id: r.model })}
              data-testid="imported-load"
            >
              Load {r.model} from the Hub
            </button>
          )}
        </div>
        {sim && (
          <MatrixDetails
            id="imported-similarity"
            summary={`Layer similarity (${L + 1} boundaries)`}
            data={sim}
            axes={['state x_i', 'state x_j']}
            valueLabel="Cosine similarity"
            describe={(i, j, v) => `cos(x${i}, x${j}) = ${formatValue(v)}`}
          />
        )}
        {ang && (
          <MatrixDetails
            id="imported-angular"
            summary="Angular distance (Gromov et al.; not kept in links)"
            data={ang}
            axes={['start layer l', 'layers skipped n']}
            valueLabel="Angular distance"
            describe={(l, k, v) => `d(x${l}, x${l + k + 1}) = ${formatValue(v)}`}
          />
        )}
      </div>
    </ChartFrame>
  );
}

/** A matrix of the imported results, folded under its summary. */
function MatrixDetails(p: {
  id: string;
  summary: string;
  data: MatrixData;
  axes: [string, string];
  valueLabel: string;
  describe: MatrixHeatmapProps['describe'];
}) {
  return (
    <details className={p.id}>
      <summary>{p.summary}</summary>
      <MatrixHeatmap
        testId={p.id}
        values={p.data.values}
        rowLabels={p.data.rowLabels}
        colLabels={p.data.colLabels}
        rowTitle={p.axes[0]}
        colTitle={p.axes[1]}
        domain={p.data.domain}
        valueLabel={p.valueLabel}
        describe={p.describe}
      />
    </details>
  );
}
