/** Load a model from a local Hugging Face folder: directory picker, <input webkitdirectory>, or drag-and-drop. */
import { type DragEvent, useRef, useState } from 'react';
import { useController } from '../context';
import { canPickDirectory, folderFromDrop, folderFromFileList, type PickedFolder, pickDirectory } from './local-folder';

/** `error`/`onError`: the form's error is the model panel's (one current error per panel). */
export function LocalFolderPicker({
  disabled,
  error,
  onError: setError,
}: {
  disabled: boolean;
  error: string | null;
  onError: (message: string | null) => void;
}) {
  const controller = useController();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  const load = (folder: PickedFolder | null) => {
    if (!folder) return;
    if (!folder.files.some((f) => f.path === 'config.json')) {
      setError(
        `"${folder.name}" has no config.json at its top level: choose the folder that holds config.json, tokenizer.json and the .safetensors weights.`,
      );
      return;
    }
    setError(null);
    void controller.loadModel({ kind: 'local', name: folder.name, files: folder.files });
  };

  const choose = async () => {
    if (canPickDirectory()) {
      try {
        load(await pickDirectory());
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    } else input.current?.click();
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    try {
      load(await folderFromDrop(e.dataTransfer));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <div className="local-picker">
      <section
        aria-label="Drop a model folder here"
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop a model folder here</p>
        <button type="button" disabled={disabled} onClick={choose}>
          Choose folder…
        </button>
        <input
          ref={input}
          type="file"
          hidden
          multiple
          data-testid="folder-input"
          {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
          onChange={(e) => {
            if (e.target.files) load(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </section>
      <p className={error ? 'inline-error' : 'hint'}>
        {error ??
          'A Hugging Face model folder: config.json, tokenizer.json, tokenizer_config.json and model.safetensors (or shards with their index). Files stay on this computer.'}
      </p>
    </div>
  );
}
