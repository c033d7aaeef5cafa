/** What the controller tells the person: its notices and refusals, worded in one place. */
import { MAX_TEXT_BYTES, SEQ_LEN_RANGE, type TextChoice, WINDOWS_RANGE } from './share-link';
import type { Notice, UiError } from './store';

export const PICK_FOLDER = 'Pick the model folder';

/** An experiment (a link, or the autosaved one) on a local folder waits for that folder to be picked. */
export function pickFolderNotice(folder: string, autosaved: boolean): Notice {
  return {
    kind: 'info',
    title: PICK_FOLDER,
    message: autosaved
      ? `Your last experiment used the local model folder "${folder}". Choose that folder (Model → Local folder) to continue it with its drops and text; the bundled model is open meanwhile.`
      : `This experiment uses the local model folder "${folder}". Choose that folder (Model → Local folder) and it opens with its drops and text.`,
  };
}

export function linkRefusedNotice(err: UiError): Notice {
  return {
    kind: 'error',
    title: 'This link could not be opened',
    message: `${err.message} Nothing from it was applied.`,
  };
}

/** The WebGPU device is gone, or (engine) the worker itself died: the backend's error and the notice. */
export function engineLost(message: string, engine: boolean): { error: UiError; notice: Notice } {
  return {
    error: engine
      ? { code: 'ENGINE_STOPPED', name: 'EngineStoppedError', message }
      : { code: 'DEVICE_LOST', name: 'DeviceLostError', message },
    notice: {
      kind: 'error',
      title: engine ? 'The engine stopped' : 'The GPU device was lost',
      message,
      action: 'reload',
    },
  };
}

/** A custom text too long for a link (MAX_TEXT_BYTES), or null. */
export function textError(t: TextChoice): UiError | null {
  if (t.kind === 'bundled' || new TextEncoder().encode(t.text).length <= MAX_TEXT_BYTES) return null;
  return {
    code: 'TEXT_TOO_LONG',
    name: 'Error',
    message: `Custom texts are limited to ${MAX_TEXT_BYTES / 1000} kB so that a share link can hold the whole experiment. Use a shorter text.`,
  };
}

/** Window settings out of range, or null; `maxPositions`: the loaded model's limit, if any. */
export function windowsError(seqLen: number, windows: number, maxPositions?: number): UiError | null {
  const max = Math.min(SEQ_LEN_RANGE.max, maxPositions ?? SEQ_LEN_RANGE.max);
  const bad = (v: number, lo: number, hi: number) => !Number.isInteger(v) || v < lo || v > hi;
  if (!bad(seqLen, SEQ_LEN_RANGE.min, max) && !bad(windows, WINDOWS_RANGE.min, WINDOWS_RANGE.max)) return null;
  return {
    code: 'RANGE',
    name: 'RangeError',
    message: `Window length must be a whole number from ${SEQ_LEN_RANGE.min} to ${max} (this model's limit), and windows from ${WINDOWS_RANGE.min} to ${WINDOWS_RANGE.max}.`,
  };
}

export function planSizeError(max: number): UiError {
  return { code: 'RANGE', name: 'RangeError', message: `Choose between 1 and ${max} layers to drop.` };
}
