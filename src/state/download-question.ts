/**
 * A link that names a Hub model opens with its config only. Before any weight is downloaded the page says
 * what would be downloaded (model, size, parameters) and waits for "Download and open" (true) or "Not now"
 * (false). A newer link, or a model picked meanwhile, answers "not now".
 */
import type { InspectResult, ModelSource } from '../engine/api';
import { formatBytes, sourceLabel } from './model-source';
import type { WorkbenchStore } from './store';

export class DownloadQuestion {
  private answer: ((yes: boolean) => void) | null = null;

  constructor(
    private readonly store: WorkbenchStore,
    private readonly hubEndpoint: string,
  ) {}

  /** A question is waiting for its answer. */
  get open(): boolean {
    return this.answer !== null;
  }

  ask(model: ModelSource & { kind: 'hub' }, inspected: InspectResult): Promise<boolean> {
    this.answer?.(false);
    const e = inspected.estimate;
    const host = new URL(this.hubEndpoint).host;
    return new Promise<boolean>((resolve) => {
      this.answer = resolve;
      this.store.getState().setNotice({
        kind: 'info',
        title: 'This link downloads a model from the Hugging Face Hub',
        message:
          `It opens ${sourceLabel(model)}: ${formatBytes(e.storedBytes)} of weights (${e.parameters.toLocaleString('en-US')} parameters) ` +
          `to download from ${host}. Only its configuration has been read so far; nothing more is downloaded until you say so.`,
        action: 'download',
      });
    });
  }

  /** The answer (the notice's buttons). */
  confirm(yes: boolean): void {
    const answer = this.answer;
    this.answer = null;
    const s = this.store.getState();
    if (s.ui.notice?.action === 'download') s.setNotice(null);
    answer?.(yes);
  }
}
