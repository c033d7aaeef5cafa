/**
 * The evaluation texts: the bundled ones listed in public/data/manifest.json (into the data slice), and
 * the body of a text choice (bundled bodies fetched once, then cached), sent to the engine with the windows.
 */
import { ShareLinkError } from '../engine/errors';
import type { TextChoice } from './share-link';
import type { DataInfo, EngineClient } from '../engine/api';
import type { EngineQueue } from './engine-queue';
import { type BundledText, uiError, type WorkbenchStore } from './store';

export function parseManifest(text: string): BundledText[] {
  const m = JSON.parse(text) as { texts?: unknown };
  if (!Array.isArray(m.texts)) return [];
  return m.texts.filter(
    (t): t is BundledText =>
      !!t &&
      typeof t === 'object' &&
      typeof t.id === 'string' &&
      typeof t.file === 'string' &&
      /^[\w.-]+$/.test(t.file),
  );
}

export class Texts {
  private bodies = new Map<string, string>();

  constructor(
    private readonly store: WorkbenchStore,
    /** Fetches a file under public/ as text. */
    private readonly fetchText: (path: string) => Promise<string>,
  ) {}

  /** Read the manifest into the data slice (none listed when it cannot be read). */
  loadManifest(): Promise<void> {
    const s = this.store.getState();
    return this.fetchText('data/manifest.json')
      .then((t) => s.setBundledTexts(parseManifest(t)))
      .catch(() => s.setBundledTexts([]));
  }

  /**
   * Send the chosen text and windows to the engine (superseding the work in flight); true when the data
   * slice is ready with them. A choice changed meanwhile neither reports nor is ready: only the latest may.
   */
  async apply(queue: EngineQueue, engine: EngineClient): Promise<boolean> {
    const s = this.store.getState();
    queue.supersede();
    s.dataTokenizing();
    const { text, seqLen, windows } = this.store.getState().data;
    const latest = () => {
      const d = this.store.getState().data;
      return d.text === text && d.seqLen === seqLen && d.windows === windows;
    };
    let info: DataInfo;
    try {
      const body = await this.body(text);
      info = await queue.enqueue('text', () => engine.setText(body, { seqLen, windows }));
    } catch (e) {
      if (latest()) s.dataFailed(uiError(e));
      return false;
    }
    if (!latest()) return false;
    s.dataReady(info);
    return true;
  }

  async body(t: TextChoice): Promise<string> {
    if (t.kind !== 'bundled') return t.text;
    const cached = this.bodies.get(t.id);
    if (cached !== undefined) return cached;
    const entry = this.store.getState().data.bundledTexts.find((x) => x.id === t.id);
    if (!entry) throw new ShareLinkError(`The text "${t.id}" is not one of this DropLab's bundled texts.`);
    const text = await this.fetchText(`data/${entry.file}`);
    this.bodies.set(t.id, text);
    return text;
  }
}
