/**
 * Load a model from the Hugging Face Hub by id (the families of SUPPORTED_MODEL_TYPES, docs/FAMILIES.md). A pasted model
 * page address is read as the id (and revision). The form's error is the model panel's (one at a time).
 */
import { SUPPORTED_MODEL_TYPES } from '../../engine/api';
import { type ClipboardEvent, type FormEvent, useState } from 'react';
import { useController, useWorkbench } from '../context';
import { readHubInput } from './hub-id';
import { rememberedHubToken, rememberHubToken } from './hub-token';

const EXAMPLES = ['HuggingFaceTB/SmolLM2-135M', 'Qwen/Qwen2.5-0.5B', 'openai-community/gpt2'];

export function HubForm({
  disabled,
  error,
  onError,
}: {
  disabled: boolean;
  error: string | null;
  onError: (message: string | null) => void;
}) {
  const controller = useController();
  const source = useWorkbench((s) => s.model.source);
  const [id, setId] = useState(source?.kind === 'hub' ? source.id : '');
  const [revision, setRevision] = useState(source?.kind === 'hub' ? (source.revision ?? 'main') : 'main');
  const [token, setToken] = useState(() => rememberedHubToken() ?? '');
  const [remember, setRemember] = useState(() => rememberedHubToken() !== null);
  /** A model page address becomes its id (and revision) in the fields; returns what was read. */
  const read = (text: string) => {
    const r = readHubInput(text, controller.hubEndpoint);
    if (r.ok) {
      setId(r.id);
      if (r.revision) setRevision(r.revision);
    }
    return r;
  };
  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const text = e.clipboardData.getData('text');
    if (!/^\s*(https?:\/\/|(www\.)?(huggingface\.co|hf\.co)\/)/i.test(text)) return;
    e.preventDefault();
    const r = read(text);
    onError(r.ok ? null : r.message);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = read(id);
    if (!r.ok) {
      onError(r.message);
      return;
    }
    const rev = r.revision ?? (revision.trim() || 'main');
    onError(null);
    void (async () => {
      const t = token.trim() || null;
      try {
        await controller.setHubToken(t);
      } catch (err) {
        onError((err as Error).message);
        return;
      }
      rememberHubToken(t, remember);
      await controller.loadModel({ kind: 'hub', id: r.id, ...(rev !== 'main' ? { revision: rev } : {}) });
    })();
  };
  return (
    <form className="hub-form" onSubmit={submit} data-testid="hub-form">
      <label className="field wide">
        <span>Model id or address</span>
        <input
          name="hub-id"
          value={id}
          onChange={(e) => setId(e.target.value)}
          onPaste={onPaste}
          placeholder="owner/name or https://huggingface.co/…"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={!!error}
          aria-describedby="hub-help"
        />
      </label>
      <label className="field">
        <span>Revision</span>
        <input
          name="hub-revision"
          value={revision}
          onChange={(e) => setRevision(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      <label className="field wide">
        <span>Access token</span>
        <input
          name="hub-token"
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="hf_… (gated or private models only)"
          spellCheck={false}
          autoComplete="off"
          aria-describedby="hub-token-help"
        />
      </label>
      <label className="check wide">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
        Remember it in this tab (sessionStorage, until the tab closes)
      </label>
      <p id="hub-token-help" className="hint wide">
        For gated models (Llama, Gemma): accept the licence on the model's Hub page first. The token stays in this tab's
        memory and goes to the Hub only: never into links, saved experiments or exports.
      </p>
      <button type="submit" disabled={disabled}>
        Load
      </button>
      <p id="hub-help" className={error ? 'inline-error' : 'hint'}>
        {error ??
          (controller.hubEndpoint !== 'https://huggingface.co' ? `Hub: ${controller.hubEndpoint}. ` : '') +
            `Safetensors models whose model_type is ${listText(SUPPORTED_MODEL_TYPES)}. The size is checked before the download.`}
      </p>
      <p className="examples">
        Try:{' '}
        {EXAMPLES.map((x) => (
          <button
            key={x}
            type="button"
            className="link-button"
            onClick={() => {
              setId(x);
              onError(null);
            }}
          >
            {x}
          </button>
        ))}
      </p>
    </form>
  );
}

/** "a, b or c". */
function listText(xs: readonly string[]): string {
  return xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}
