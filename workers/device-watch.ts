/**
 * Watches the WebGPU device onnxruntime-web computes on. A device can be lost at any time (a driver
 * reset, the GPU process crashing, the system reclaiming the GPU); after that every session run fails
 * with runtime-specific messages. From the moment `device.lost` resolves, every worker call fails with one
 * DeviceLostError that says what happened and what to do, and the page is told at once (`onLost`), so it
 * does not wait for the next click to find out. The experiment lives in the page (URL hash, autosave), so
 * nothing of it is lost with the device.
 */
import { DeviceLostError } from '../src/engine/errors';

/** What a GPUDevice offers for this (structural, so tests pass a stand-in). */
export interface LosableDevice {
  readonly lost: Promise<{ reason?: string; message?: string }>;
}

export class DeviceWatch {
  private lostMessage: string | null = null;
  private readonly watched = new WeakSet<object>();

  /** Watch `device` (again for the same device: no effect); `onLost` is called once, when it is lost. */
  watch(device: LosableDevice, onLost?: (message: string) => void): void {
    if (this.watched.has(device)) return;
    this.watched.add(device);
    void device.lost.then((info) => {
      if (this.lostMessage !== null) return;
      const why = [
        info?.reason && info.reason !== 'unknown' ? info.reason : '',
        (info?.message ?? '').replace(/\.\s*$/, ''),
      ]
        .filter(Boolean)
        .join(': ');
      this.lostMessage =
        `The GPU device was lost${why ? ` (${why})` : ''}. Reload the page to start again on WebGPU, or continue on ` +
        'WebAssembly; your experiment (model, drops, text and windows) is kept in the link.';
      onLost?.(this.lostMessage);
    });
  }

  get lost(): boolean {
    return this.lostMessage !== null;
  }

  error(): DeviceLostError {
    return new DeviceLostError(this.lostMessage ?? 'The GPU device was lost.');
  }

  /** Throws the DeviceLostError once the device is lost. */
  check(): void {
    if (this.lostMessage !== null) throw this.error();
  }
}
