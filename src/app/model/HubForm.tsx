/** Load a model from the Hugging Face Hub by id (llama, mistral, qwen2 and gpt2 families). */
import { type FormEvent, useState } from 'react';
import { isHubId } from '../../state/share-link';
import { useController, useWorkbench } from '../context';

const EXAMPLES = ['HuggingFaceTB/SmolLM2-135M', 'Qwen/Qwen2.5-0.5B', 'openai-community/gpt2'];

export function HubForm({ disabled }: { disabled: boolean }) {
  const controller = useController();
  const source = useWorkbench((s) => s.model.source);
  const [id, setId] = useState(source?.kind === 'hub' ? source.id : '');
  const [revision, setRevision] = useState(source?.kind === 'hub' ? (source.revision ?? 'main') : 'main');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const clean = id.trim();
    const rev = revision.trim() || 'main';
    if (!isHubId(clean)) {
      setError('Enter a model id such as HuggingFaceTB/SmolLM2-135M (owner/name).');
      return;
    }
    setError(null);
    void controller.loadModel({ kind: 'hub', id: clean, ...(rev !== 'main' ? { revision: rev } : {}) });
  };
  return (
    <form className="hub-form" onSubmit={submit} data-testid="hub-form">
      <label className="field">
        <span>Model id</span>
        <input
          name="hub-id"
          value={id}
          onChange={(e) => setId(e.target.value)}
          placeholder="owner/name"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={!!error}
          aria-describedby="hub-help"
        />
      </label>
      <label className="field narrow">
        <span>Revision</span>
        <input name="hub-revision" value={revision} onChange={(e) => setRevision(e.target.value)} spellCheck={false} autoComplete="off" />
      </label>
      <button type="submit" disabled={disabled}>
        Load
      </button>
      <p id="hub-help" className={error ? 'inline-error' : 'hint'}>
        {error ??
          (controller.hubEndpoint !== 'https://huggingface.co' ? `Hub: ${controller.hubEndpoint}. ` : '') +
            'Public safetensors models of the llama, mistral, qwen2 and gpt2 families. The size is checked before the download.'}
      </p>
      <p className="examples">
        Try:{' '}
        {EXAMPLES.map((x) => (
          <button key={x} type="button" className="link-button" onClick={() => setId(x)}>
            {x}
          </button>
        ))}
      </p>
    </form>
  );
}
