/**
 * glibc malloc settings for processes that run onnxruntime-node on a mid-size model (the CLI, bench/scale.ts).
 *
 * With the runtime's CPU arena off (docs/PRECISION.md), each run's activations (1-32 MiB: hidden states, MLP
 * intermediates, a head chunk's logits) are malloc'd and freed. glibc's dynamic mmap threshold soon rises past
 * them, so they come from the heap, where fragmentation keeps freed pages resident: a Qwen2.5-0.5B shape at q8
 * peaked at 1,552 MiB RSS (bench/results/scale-malloc-default.json). With blocks from 2 MiB up mapped on their own
 * (returned to the system when freed) and backed by transparent huge pages: 1,051 MiB (scale.json).
 *
 * The price is page faults on every run: on the mid-size model little (Qwen2.5-0.5B shape q8, load + analysis +
 * a toggle: 25.5 s against 23.3 s on a quiet machine; alternated twice at load average 9-12, 129 and 123 s
 * against 72 and 144 s, as noisy as that machine), but on a small model the faults dominate its short runs
 * (bench/results/cold-start.json: the bundled model's cold start 3.3x transformers.js's with them, 2.0x without).
 * So the CLI sets them only for models whose weight files reach MALLOC_TUNED_FROM_BYTES, where memory decides
 * whether the model runs at all.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MALLOC_TUNABLES = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=2097152';

/** Weight files from this many bytes on get the tunables (the Qwen2.5-0.5B shape's 0.99 GB does, SmolLM2-135M's 0.27 GB not). */
export const MALLOC_TUNED_FROM_BYTES = 512 * 2 ** 20;

/** Bytes of the *.safetensors files in the folder given to --model in `args` (0 when none is given or readable). */
export function modelWeightBytes(args) {
  const i = args.findIndex((a) => a === '--model' || a.startsWith('--model='));
  if (i < 0) return 0;
  const dir = args[i].startsWith('--model=') ? args[i].slice('--model='.length) : args[i + 1];
  if (!dir) return 0;
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0; // the command itself says what is wrong with the folder
  }
}

/**
 * Whether the CLI should run with MALLOC_TUNABLES: on Linux, when GLIBC_TUNABLES is not set already, and
 * DROPLAB_MALLOC=tuned, or the model's weight files reach MALLOC_TUNED_FROM_BYTES (DROPLAB_MALLOC=default: never).
 */
export function wantsMallocTunables(args, env, platform) {
  if (platform !== 'linux' || env.GLIBC_TUNABLES !== undefined || env.DROPLAB_MALLOC === 'default') return false;
  return env.DROPLAB_MALLOC === 'tuned' || modelWeightBytes(args) >= MALLOC_TUNED_FROM_BYTES;
}
