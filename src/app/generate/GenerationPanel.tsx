/**
 * The full model and the pruned one (the current drops) generating from the same prompt, side by side,
 * token by token. Both run the exported fp32 KV-cache graph (onnx/model.onnx of an export) with the
 * export's own decoding loop, in the worker, on the workbench's backend; Stop ends both.
 */
import { type FormEvent, useState } from 'react';
import type { DropConfig, GenerateEvent, GenerateSummary, GenerationModel, ModelSpec } from '../../engine/api';
import { uiError, type UiError } from '../../state/store';
import { useWorkbench } from '../context';
import { useExportClient } from '../export/export-client';
import '../export/export.css';
import {
  agreementText,
  DEFAULT_PROMPT,
  DEFAULT_SAMPLING,
  droppedLabel,
  finalStreams,
  formatRate,
  generateRequest,
  KV_FLOAT32_WHY,
  MAX_NEW_TOKENS,
  type SamplingSettings,
  stopText,
} from './generate-view';

type Stream = Partial<Record<GenerationModel, GenerateEvent>>;

type Job =
  | { state: 'idle' }
  | { state: 'running'; drop: DropConfig; prompt: string; stream: Stream; stopping: boolean }
  | { state: 'done'; drop: DropConfig; prompt: string; stream: Stream; summary: GenerateSummary }
  | { state: 'failed'; error: UiError; drop?: DropConfig; prompt?: string; stream?: Stream };

function kept(spec: ModelSpec, d: DropConfig): string {
  return `${spec.numLayers - d.attn.length} attention + ${spec.numLayers - d.mlp.length} MLP`;
}

function Column({
  model,
  title,
  sub,
  prompt,
  ev,
  run,
}: {
  model: GenerationModel;
  title: string;
  sub: string;
  prompt: string;
  ev?: GenerateEvent;
  run?: GenerateSummary['full'];
}) {
  const rate =
    run?.decodeTokensPerS ??
    (ev && ev.ids.length > 1 && ev.firstTokenMs !== undefined
      ? ((ev.ids.length - 1) / (ev.elapsedMs - ev.firstTokenMs)) * 1000
      : null);
  return (
    <div
      className="gen-col"
      data-testid={`gen-${model}`}
      data-tokens={ev?.ids.length ?? 0}
      data-done={ev?.done ? 'true' : 'false'}
      data-stop={ev?.stop ?? ''}
      data-ids={run ? run.ids.join(',') : undefined}
    >
      <div className="gen-col-head">
        <strong>{title}</strong>
        <span>{sub}</span>
      </div>
      <p className="gen-text">
        <span className="gen-prompt">{prompt}</span>
        <span className="gen-out" data-testid={`gen-${model}-text`}>
          {ev?.text ?? ''}
        </span>
        {ev && !ev.done && <span className="gen-caret" aria-hidden="true" />}
      </p>
      <div className="gen-col-foot">
        {ev ? (
          <>
            {ev.ids.length} token{ev.ids.length === 1 ? '' : 's'}
            {run ? ` · ${stopText(run)}` : ev.done && ev.stop ? ` · ${stopText({ stop: ev.stop, ids: ev.ids })}` : ''}
            {rate !== null && ` · ${formatRate(rate)} tok/s${run ? '' : ' (interleaved)'}`}
          </>
        ) : (
          ' '
        )}
      </div>
    </div>
  );
}

export function GenerationPanel() {
  const client = useExportClient();
  const info = useWorkbench((s) => (s.model.status === 'ready' ? s.model.info : null));
  const drops = useWorkbench((s) => s.drops.current);
  const [prompt, setPrompt] = useState(DEFAULT_PROMPT);
  const [settings, setSettings] = useState<SamplingSettings>(DEFAULT_SAMPLING);
  const [job, setJob] = useState<Job>({ state: 'idle' });
  const running = job.state === 'running';
  const set = <K extends keyof SamplingSettings>(k: K, v: SamplingSettings[K]) =>
    setSettings((s) => ({ ...s, [k]: v }));

  const start = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!info || running) return;
    const req = generateRequest(prompt, drops, settings);
    const drop = drops;
    setJob({ state: 'running', drop, prompt, stream: {}, stopping: false });
    let stream: Stream = {};
    // At most one render per frame however fast tokens come (the page shares the CPU with the worker).
    let frame: number | null = null;
    const flush = () => {
      frame = null;
      const s = stream;
      setJob((j) => (j.state === 'running' ? { ...j, stream: s } : j));
    };
    try {
      const summary = await client().generate(req, (ev) => {
        stream = { ...stream, [ev.model]: ev };
        if (frame === null) frame = requestAnimationFrame(flush);
      });
      if (frame !== null) cancelAnimationFrame(frame);
      setJob({ state: 'done', drop, prompt, stream: finalStreams(stream, summary), summary });
    } catch (err) {
      if (frame !== null) cancelAnimationFrame(frame);
      setJob({ state: 'failed', error: uiError(err), drop, prompt, stream });
    }
  };

  const shown = job.state === 'idle' ? null : job;
  const stream = shown && 'stream' in shown ? shown.stream : undefined;
  const summary = job.state === 'done' ? job.summary : undefined;
  const shownDrop = (shown && 'drop' in shown ? shown.drop : undefined) ?? drops;
  const noDrops = shownDrop.attn.length + shownDrop.mlp.length === 0;

  return (
    <section className="panel gen-panel" aria-labelledby="gen-title" data-testid="generation-panel">
      <header className="panel-head">
        <div>
          <h2 id="gen-title">Generate</h2>
          <p className="panel-note">
            Full and pruned model side by side, each on the exported fp32 KV-cache graph (onnx/model.onnx), in the
            worker
          </p>
        </div>
      </header>
      {!info ? (
        <div className="placeholder">Load a model to generate text.</div>
      ) : (
        <>
          <form className="gen-form" onSubmit={(e) => void start(e)}>
            <label className="field gen-prompt-field">
              <span>Prompt</span>
              <textarea
                value={prompt}
                onChange={(e) => setPrompt(e.target.value)}
                rows={2}
                disabled={running}
                data-testid="gen-prompt"
              />
            </label>
            <div className="gen-settings">
              <fieldset className="segmented" disabled={running}>
                <legend className="sr-only">Decoding</legend>
                {(['greedy', 'sample'] as const).map((m) => (
                  <label key={m} className={settings.mode === m ? 'on' : ''}>
                    <input type="radio" name="gen-mode" checked={settings.mode === m} onChange={() => set('mode', m)} />
                    {m === 'greedy' ? 'Greedy' : 'Sample'}
                  </label>
                ))}
              </fieldset>
              <label className="gen-num" title="Softmax temperature (sampling only)">
                <span>temperature</span>
                <input
                  type="number"
                  min={0.05}
                  max={5}
                  step={0.05}
                  value={settings.temperature}
                  disabled={running || settings.mode === 'greedy'}
                  onChange={(e) => set('temperature', Number(e.target.value))}
                  data-testid="gen-temperature"
                />
              </label>
              <label className="gen-num" title="Sample among the k most likely tokens (0 = all)">
                <span>top-k</span>
                <input
                  type="number"
                  min={0}
                  step={1}
                  value={settings.topK}
                  disabled={running || settings.mode === 'greedy'}
                  onChange={(e) => set('topK', Number(e.target.value))}
                  data-testid="gen-topk"
                />
              </label>
              <label className="gen-num" title="Seed of the sampler; both models get the same random numbers">
                <span>seed</span>
                <input
                  type="number"
                  min={0}
                  step={1}
                  value={settings.seed}
                  disabled={running || settings.mode === 'greedy'}
                  onChange={(e) => set('seed', Number(e.target.value))}
                />
              </label>
              <label className="gen-num">
                <span>max tokens</span>
                <input
                  type="number"
                  min={1}
                  max={MAX_NEW_TOKENS}
                  step={1}
                  value={settings.maxNewTokens}
                  disabled={running}
                  onChange={(e) => set('maxNewTokens', Number(e.target.value))}
                  data-testid="gen-max"
                />
              </label>
              {running ? (
                <button type="button" onClick={() => client().cancel('generate')} data-testid="gen-stop">
                  Stop
                </button>
              ) : (
                <button type="submit" className="primary" disabled={!prompt} data-testid="gen-start">
                  Generate
                </button>
              )}
            </div>
          </form>
          {job.state === 'failed' && (
            <p className="xp-notice error" role="alert" data-testid="gen-error">
              {job.error.message}
            </p>
          )}
          <div className="gen-cols">
            <Column
              model="full"
              title="Full model"
              sub={`${kept(info.spec, { attn: [], mlp: [] })} sublayers`}
              prompt={shown && 'prompt' in shown && shown.prompt !== undefined ? shown.prompt : prompt}
              ev={stream?.full}
              run={summary?.full}
            />
            <Column
              model="pruned"
              title="Pruned model"
              sub={`${droppedLabel(shownDrop)} · ${kept(info.spec, shownDrop)} kept`}
              prompt={shown && 'prompt' in shown && shown.prompt !== undefined ? shown.prompt : prompt}
              ev={stream?.pruned}
              run={summary?.pruned}
            />
          </div>
          <p className="hint" data-testid="gen-summary">
            {summary
              ? `${agreementText(summary.full.ids, summary.pruned.ids)} Prompt ${summary.promptTokens} tokens; ${summary.format} graph on ${summary.backend}; ` +
                `KV cache for ${summary.full.cachedLayers} vs ${summary.pruned.cachedLayers} attention layers (${KV_FLOAT32_WHY}). tok/s = decode steps over session-run time of that model alone.`
              : noDrops
                ? 'Nothing is dropped: both columns run the same model. Drop sublayers in the heatmap to compare.'
                : settings.mode === 'greedy'
                  ? 'Greedy: each model takes its most likely token at every step.'
                  : 'Sampling: both models draw from the same seeded random numbers, so differences come from the models.'}
          </p>
        </>
      )}
    </section>
  );
}
