/** Undo / redo / restore all, with Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y (not while typing in a field). */
import { useEffect } from 'react';
import { NO_DROPS } from '../state/drops';
import { useController, useWorkbench } from './context';

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el?.tagName) return false;
  const tag = el.tagName.toLowerCase();
  return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable;
}

export function useUndoRedoKeys(): void {
  const controller = useController();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isTyping(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        controller.undo();
      } else if ((k === 'z' && e.shiftKey) || k === 'y') {
        e.preventDefault();
        controller.redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [controller]);
}

export function HistoryControls() {
  const controller = useController();
  const canUndo = useWorkbench((s) => s.drops.past.length > 0);
  const canRedo = useWorkbench((s) => s.drops.future.length > 0);
  const any = useWorkbench((s) => s.drops.current.attn.length + s.drops.current.mlp.length > 0);
  useUndoRedoKeys();
  return (
    <div className="history" role="toolbar" aria-label="Drop history">
      <button
        type="button"
        onClick={() => controller.undo()}
        disabled={!canUndo}
        title="Undo (Ctrl+Z)"
        data-testid="undo"
      >
        ↶ Undo
      </button>
      <button
        type="button"
        onClick={() => controller.redo()}
        disabled={!canRedo}
        title="Redo (Ctrl+Shift+Z)"
        data-testid="redo"
      >
        ↷ Redo
      </button>
      <button
        type="button"
        onClick={() => controller.setDrops(NO_DROPS)}
        disabled={!any}
        title="Restore every sublayer"
        data-testid="restore-all"
      >
        Restore all
      </button>
    </div>
  );
}
