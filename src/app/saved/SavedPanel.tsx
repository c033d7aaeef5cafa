/** Save the current experiment (IndexedDB), reopen or delete saved ones, copy the share link. */
import { type FormEvent, useState } from 'react';
import { useController, useWorkbench } from '../context';
import { CopyLinkButton } from '../share/CopyLinkButton';

export function SavedPanel() {
  const controller = useController();
  const list = useWorkbench((s) => s.saved.list);
  const ready = useWorkbench((s) => s.model.info !== null);
  const [name, setName] = useState('');
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (await controller.save(name)) setName('');
  };
  return (
    <section className="panel side-panel" aria-labelledby="saved-title" data-testid="saved-panel">
      <header className="panel-head">
        <h2 id="saved-title">Experiments</h2>
        <CopyLinkButton />
      </header>
      <form className="save-form" onSubmit={save}>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Name this experiment"
          aria-label="Experiment name"
          maxLength={200}
        />
        <button type="submit" disabled={!ready}>
          Save
        </button>
      </form>
      {list.length > 0 ? (
        <ul className="saved-list" data-testid="saved-list">
          {list.map((x) => (
            <li key={x.id}>
              <button type="button" className="saved-open" onClick={() => controller.openSaved(x.id)} title={x.summary}>
                <span className="saved-name">{x.name}</span>
                <span className="saved-summary">{x.summary}</span>
              </button>
              <button
                type="button"
                className="link-button danger"
                onClick={() => controller.deleteSaved(x.id)}
                aria-label={`Delete ${x.name}`}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">The URL always holds the current experiment; saved ones are kept in this browser.</p>
      )}
    </section>
  );
}
