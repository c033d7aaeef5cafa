/**
 * The weight precision on the page (issue 13): the picker (automatic or chosen, applied at the next load,
 * with a reload for a bundled model), the precision in use with its measured deviation, and the badge in
 * the header; over the controller and the fake engine.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { WorkbenchProvider } from '../../src/app/context';
import { ModelSummary } from '../../src/app/header/ModelSummary';
import { PrecisionPicker } from '../../src/app/model/PrecisionPicker';
import { deviationText } from '../../src/app/model/precision-text';
import { MEASURED_DEVIATION } from '../../src/engine/api';
import { setup } from '../state/setup';

describe('weight precision on the page', () => {
  it('fp32 in use: exact; choosing q8 tells the engine, and offers a reload of the bundled model', async () => {
    const w = await setup();
    const render = () => {
      w.store.getInitialState = w.store.getState;
      return renderToStaticMarkup(
        <WorkbenchProvider store={w.store} controller={w.controller}>
          <ModelSummary />
          <PrecisionPicker disabled={false} />
        </WorkbenchProvider>,
      );
    };
    let html = render();
    expect(html).toMatch(/data-testid="precision-badge"[^>]*>fp32</);
    expect(html).toContain('In use: <strong>fp32</strong>, exact.');
    expect(html).not.toContain('precision-reload');

    await w.controller.setWeightPrecision('q8');
    expect(w.engine.calls.filter((c) => c.method === 'setWeightPrecision').map((c) => c.arg)).toEqual(['q8']);
    expect(w.s().ui.weightChoice).toBe('q8');
    html = render();
    expect(html).toContain('data-testid="precision-reload"');
    expect(html).toMatch(/Reload droplab-byte-12l[^<]* at q8/);

    await w.controller.setWeightPrecision(null);
    expect(w.s().ui.weightChoice).toBeNull();
    expect(render()).not.toContain('precision-reload');
  });

  it('the deviation text quotes the measured table', () => {
    expect(deviationText('fp32')).toBe('exact');
    const q4 = MEASURED_DEVIATION.measured.find((m) => m.precision === 'q4');
    expect(q4).toBeDefined();
    expect(deviationText('q4')).toContain(`${((q4?.perplexityRel ?? 0) * 100).toPrecision(2)}%`);
    expect(deviationText('q4')).toContain(MEASURED_DEVIATION.model);
  });
});
