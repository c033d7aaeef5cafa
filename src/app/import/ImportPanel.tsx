/**
 * "Import results": results computed elsewhere (droplab analyze --out on a GPU server, LLM-Drop's .pt
 * similarity caches, an LLM-Drop pruned config.json), picked with the file input or dropped on the
 * panel. Every file is read before anything changes; a bad one is named with what is wrong.
 */
import { type DragEvent, useRef, useState } from 'react';
import type { ImportFile } from '../../engine/api';
import { useController, useWorkbench } from '../context';

async function readAll(list: FileList | File[]): Promise<ImportFile[]> {
  return Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

export function ImportPanel() {
  const controller = useController();
  const error = useWorkbench((s) => s.imported.error);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<string | null>(null);

  const take = async (list: FileList | File[] | null) => {
    if (!list || list.length === 0) return;
    setStatus(null);
    const out = controller.importResults(await readAll(list));
    if (out.kind === 'drops')
      setStatus(
        `Applied the config's drops: attention ${out.drop.attn.join(', ') || 'none'}; MLP ${out.drop.mlp.join(', ') || 'none'}.`,
      );
    else if (out.kind === 'results') setStatus('Imported results are shown with the views.');
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void take(e.dataTransfer.files);
  };

  return (
    <section className="panel side-panel import-panel" aria-labelledby="import-title" data-testid="import-panel">
      <header className="panel-head">
        <h2 id="import-title">Import results</h2>
      </header>
      <p className="hint">
        Scores of a model analysed elsewhere: a file from <code>droplab analyze --out</code>, LLM-Drop's attention and
        MLP <code>.pt</code> similarity files (with the model's <code>config.json</code> for its cost), or an LLM-Drop
        pruned <code>config.json</code> to apply its drops.
      </p>
      <section
        className={`drop-zone${over ? ' over' : ''}`}
        aria-label="Drop result files"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="import-drop"
      >
        <p>Drop result files here</p>
        <button type="button" onClick={() => input.current?.click()}>
          Import results…
        </button>
        <input
          ref={input}
          type="file"
          hidden
          multiple
          accept=".json,.pt,.pth,application/json"
          aria-label="Import results"
          data-testid="import-input"
          onChange={(e) => {
            void take(e.target.files);
            e.target.value = '';
          }}
        />
      </section>
      {error && (
        <p className="load-error" role="alert" data-testid="import-error" data-code={error.code}>
          {error.message}
        </p>
      )}
      {status && !error && (
        <p className="load-ok" role="status" data-testid="import-status">
          {status}
        </p>
      )}
    </section>
  );
}
