/** Window length and number of windows, applied on Enter, blur or the Apply button. */
import { type FormEvent, useEffect, useState } from 'react';
import { SEQ_LEN_RANGE, WINDOWS_RANGE } from '../../state/share-link';
import { useController, useWorkbench } from '../context';

export function WindowSettings() {
  const controller = useController();
  const seqLen = useWorkbench((s) => s.data.seqLen);
  const windows = useWorkbench((s) => s.data.windows);
  const maxPos = useWorkbench((s) => s.model.info?.spec.maxPositions ?? SEQ_LEN_RANGE.max);
  const hasModel = useWorkbench((s) => s.model.info !== null);
  const [len, setLen] = useState(String(seqLen));
  const [n, setN] = useState(String(windows));
  useEffect(() => setLen(String(seqLen)), [seqLen]);
  useEffect(() => setN(String(windows)), [windows]);
  const dirty = len !== String(seqLen) || n !== String(windows);
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!dirty) return;
    void controller.setWindowSettings(Number(len), Number(n));
  };
  return (
    <form className="window-settings" onSubmit={submit} data-testid="window-settings">
      <label className="field">
        <span>Window length</span>
        <input
          type="number"
          name="seqLen"
          min={SEQ_LEN_RANGE.min}
          max={Math.min(SEQ_LEN_RANGE.max, maxPos)}
          step={1}
          value={len}
          onChange={(e) => setLen(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Windows</span>
        <input
          type="number"
          name="windows"
          min={WINDOWS_RANGE.min}
          max={WINDOWS_RANGE.max}
          step={1}
          value={n}
          onChange={(e) => setN(e.target.value)}
        />
      </label>
      <button type="submit" disabled={!dirty || !hasModel}>
        Apply
      </button>
    </form>
  );
}
