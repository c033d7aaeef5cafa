/**
 * Model picker: the bundled model, a Hugging Face Hub id, or a local folder. One current error per panel:
 * a form's own error (a bad id, a folder without config.json) replaces a load error shown before it, and a
 * newer load error replaces the form's.
 */
import { useState } from 'react';
import { DEFAULT_MODEL } from '../../state/store';
import { useController, useWorkbench } from '../context';
import { HubForm } from './HubForm';
import { LoadProgress } from './LoadProgress';
import { PrecisionPicker } from './PrecisionPicker';
import { LocalFolderPicker } from './LocalFolderPicker';

type Tab = 'bundled' | 'hub' | 'local';
const TABS: { id: Tab; label: string }[] = [
  { id: 'bundled', label: 'Bundled' },
  { id: 'hub', label: 'Hub' },
  { id: 'local', label: 'Local folder' },
];

export function ModelPanel() {
  const controller = useController();
  const source = useWorkbench((s) => s.model.source);
  const status = useWorkbench((s) => s.model.status);
  const loadError = useWorkbench((s) => s.model.error);
  const [tab, setTab] = useState<Tab | null>(null);
  const [formError, setFormError] = useState<FormError | null>(null);
  const active: Tab = tab ?? source?.kind ?? 'bundled';
  const busy = status === 'inspecting' || status === 'loading';
  const current = currentError(formError, loadError);
  const onError = (message: string | null) => setFormError(message ? { message, over: loadError } : null);
  return (
    <section className="panel side-panel" aria-labelledby="model-title" data-testid="model-panel">
      <header className="panel-head">
        <h2 id="model-title">Model</h2>
      </header>
      <div className="tabs" role="tablist" aria-label="Model source">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`model-tab-${t.id}`}
            aria-selected={active === t.id}
            aria-controls={`model-tabpanel-${t.id}`}
            className={active === t.id ? 'on' : undefined}
            onClick={() => {
              setTab(t.id);
              if (t.id !== active) setFormError(null);
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`model-tabpanel-${active}`} aria-labelledby={`model-tab-${active}`} className="tab-body">
        {active === 'bundled' && (
          <div className="bundled">
            <p>
              <strong>{DEFAULT_MODEL.kind === 'bundled' ? DEFAULT_MODEL.name : ''}</strong>: a 12-layer byte-level Llama
              that DropLab trains on public-domain text. Loads offline.
            </p>
            <button
              type="button"
              disabled={busy}
              onClick={() => controller.loadModel({ kind: 'bundled', name: (DEFAULT_MODEL as { name: string }).name })}
            >
              Load bundled model
            </button>
          </div>
        )}
        {active === 'hub' && <HubForm disabled={busy} error={current.form} onError={onError} />}
        {active === 'local' && <LocalFolderPicker disabled={busy} error={current.form} onError={onError} />}
      </div>
      <LoadProgress hideError={!current.load} />
      <PrecisionPicker disabled={busy} />
    </section>
  );
}

/** A form's error, and the load error that was on screen when it appeared (which it replaces). */
export interface FormError {
  message: string;
  over: unknown;
}

/**
 * Which error the panel shows: the form's while the load error is still the one it replaced (or none);
 * the load error once a newer load has failed (the form's is then stale); never both.
 */
export function currentError(form: FormError | null, load: unknown): { form: string | null; load: boolean } {
  if (form && form.over === load) return { form: form.message, load: false };
  return { form: null, load: !!load };
}
