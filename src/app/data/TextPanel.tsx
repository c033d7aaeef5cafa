/**
 * Evaluation text: a bundled public-domain text, pasted text or an uploaded .txt; window length and
 * number of windows; the token counts the engine reports.
 */
import { useEffect, useState } from 'react';
import { linkSafeName, MAX_TEXT_BYTES, type TextChoice } from '../../state/share-link';
import { useController, useWorkbench } from '../context';
import { formatInt } from '../format';
import { WindowSettings } from './WindowSettings';

type Mode = 'bundled' | 'paste' | 'upload';

export function TextPanel() {
  const controller = useController();
  const text = useWorkbench((s) => s.data.text);
  const texts = useWorkbench((s) => s.data.bundledTexts);
  const info = useWorkbench((s) => s.data.info);
  const status = useWorkbench((s) => s.data.status);
  const error = useWorkbench((s) => s.data.error);
  const hasModel = useWorkbench((s) => s.model.info !== null);
  const requested = useWorkbench((s) => s.data.windows);
  const [mode, setMode] = useState<Mode>(text.kind);
  const [draft, setDraft] = useState(text.kind === 'paste' ? text.text : '');
  const [uploadError, setUploadError] = useState<string | null>(null);

  useEffect(() => {
    setMode(text.kind);
    if (text.kind === 'paste') setDraft(text.text);
  }, [text]);

  const apply = (t: TextChoice) => void controller.setText(t);

  const onUpload = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_TEXT_BYTES) {
      setUploadError(
        `${file.name} is ${formatInt(file.size / 1000)} kB; texts are limited to ${MAX_TEXT_BYTES / 1000} kB so that a share link can hold them.`,
      );
      return;
    }
    setUploadError(null);
    const body = await file.text();
    apply({
      kind: 'upload',
      // the name as a link holds it, so the screen and the link agree
      name: file.name.trim() ? linkSafeName(file.name) : 'upload.txt',
      text: body,
    });
  };

  return (
    <section className="panel side-panel" aria-labelledby="text-title" data-testid="text-panel">
      <header className="panel-head">
        <h2 id="text-title">Evaluation text</h2>
      </header>
      <label className="field">
        <span>Text</span>
        <select
          value={mode === 'bundled' && text.kind === 'bundled' ? `b:${text.id}` : mode}
          onChange={(e) => {
            const v = e.target.value;
            if (v.startsWith('b:')) apply({ kind: 'bundled', id: v.slice(2) });
            else setMode(v as Mode);
          }}
          aria-label="Evaluation text"
          data-testid="text-select"
        >
          {texts.map((t) => (
            <option key={t.id} value={`b:${t.id}`}>
              {t.title}
            </option>
          ))}
          <option value="paste">Paste a text…</option>
          <option value="upload">Upload a .txt file…</option>
        </select>
      </label>
      {mode === 'paste' && (
        <div className="paste">
          <textarea
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            rows={5}
            placeholder="Paste text here. A form feed or a line with only <|endoftext|> separates documents."
            aria-label="Pasted text"
          />
          <button
            type="button"
            disabled={!hasModel || draft.trim().length === 0}
            onClick={() => apply({ kind: 'paste', text: draft })}
          >
            Use this text
          </button>
        </div>
      )}
      {mode === 'upload' && (
        <label className="field">
          <span>{text.kind === 'upload' ? `Using ${text.name}` : 'File'}</span>
          <input
            type="file"
            accept=".txt,text/plain"
            onChange={(e) => onUpload(e.target.files?.[0])}
            aria-label="Upload a text file"
          />
        </label>
      )}
      {uploadError && <p className="inline-error">{uploadError}</p>}
      <WindowSettings />
      <p className="token-info" data-testid="token-info" aria-live="polite">
        {status === 'tokenizing'
          ? 'Tokenizing…'
          : info
            ? `${formatInt(info.textTokens)} tokens in the text · ${formatInt(info.availableWindows)} windows available · evaluating ${info.windows} × ${info.seqLen} = ${formatInt(info.predictedTokens)} predicted tokens`
            : ''}
      </p>
      {info && info.windows < requested && (
        <p className="hint" data-testid="windows-note">
          The text holds only {info.availableWindows} windows of {info.seqLen} tokens: all of them are used.
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error.message}
        </p>
      )}
    </section>
  );
}
