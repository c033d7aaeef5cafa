/**
 * The export's zip, in batches for a host that sends it elsewhere (the worker transfers each batch to
 * the page): sizes of zip entries, and a batcher that copies chunks out of the weights' buffers.
 */

/** Per-file overhead zipSink counts (local header, data descriptor, central directory entry). */
export const zipEntryBytes = (path: string, size: number) => size + 128 + path.length * 2;

/**
 * Collects an archive's chunks and hands them out in batches of about `batchBytes`: each batch is one
 * new buffer (the chunks may be views into the model's weights, which must not be transferred away).
 */
export class ChunkBatcher {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  total = 0;

  constructor(private readonly batchBytes = 16 * 2 ** 20) {}

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    this.total += chunk.byteLength;
  }

  /** Full batches (all that is pending when `flush`), each a fresh Uint8Array. */
  take(flush: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.pendingBytes > 0 && (flush || this.pendingBytes >= this.batchBytes)) {
      const n = Math.min(this.pendingBytes, this.batchBytes);
      const batch = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.pending[0];
        const k = Math.min(c.byteLength, n - o);
        batch.set(k === c.byteLength ? c : c.subarray(0, k), o);
        o += k;
        if (k === c.byteLength) this.pending.shift();
        else this.pending[0] = c.subarray(k);
      }
      this.pendingBytes -= n;
      out.push(batch);
    }
    return out;
  }

  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
