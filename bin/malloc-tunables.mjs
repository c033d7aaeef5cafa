/**
 * glibc malloc settings for processes that run onnxruntime-node on a mid-size model (the CLI, bench/scale.ts).
 *
 * With the runtime's CPU arena off (docs/PRECISION.md), each run's activations (1-32 MiB: hidden states, MLP
 * intermediates, a head chunk's logits) are malloc'd and freed. glibc's dynamic mmap threshold soon rises past
 * them, so they come from the heap, where fragmentation keeps freed pages resident: a Qwen2.5-0.5B shape at q8
 * peaked at 1,552 MiB RSS (bench/results/scale-malloc-default.json). With blocks from 2 MiB up mapped on their own
 * (returned to the system when freed) and backed by transparent huge pages: 1,051 MiB (both before the chunked
 * head's per-chunk ordering, docs/PRECISION.md, which took this case to 883-905 MiB).
 *
 * The price is page faults on every run. On the mid-size model it is small (Qwen2.5-0.5B shape q8, load + analysis
 * + a toggle: 25.5 s against 23.3 s on a quiet machine), but a small model's runs are short and the faults dominate
 * them. For those, glibc's defaults are no better (they trim and regrow the heap top): the bundled model's cold start
 * was 3.25x transformers.js's CPU time with glibc's defaults and 2.31x with the mid-size tunables, back to back
 * (bench/results/cold-start-glibc-default.json, cold-start-tuned.json), and 1.98x with heap blocks up to 32 MiB never
 * trimmed (cold-start-heap-malloc.json); that heap on transparent huge pages is MALLOC_TUNABLES_SMALL (1.75x with the
 * tokenizer's byte table and FusedMatMul, 1.94x before, in one run: cold-start-cli.json). So the CLI sets MALLOC_TUNABLES for
 * weight files from MALLOC_TUNED_FROM_BYTES, where memory decides whether the model runs at all, and
 * MALLOC_TUNABLES_SMALL below, where the memory is small anyway and the speed of the first heatmap counts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Mid-size models: blocks from 2 MiB mapped on their own (returned when freed), on transparent huge pages. */
export const MALLOC_TUNABLES = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=2097152';

/**
 * Small models: blocks up to 32 MiB from the heap, which is not trimmed below 64 MiB (no page-fault churn), on
 * transparent huge pages (where the kernel allows them on request: THP "madvise" or "always"). The heap still grows
 * by about 85 MiB of fresh pages during the bundled model's first analysis (kept boundary states, attention scores);
 * in 4 KiB pages that was about 21,000 page faults, most of the first analysis' session-run time on this VM, and
 * with huge pages about 150 (README.md, "Cold start").
 */
export const MALLOC_TUNABLES_SMALL =
  'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864';

/**
 * Weight files from this many bytes on get MALLOC_TUNABLES. SmolLM2-135M in bf16 (257 MiB) does: with the small-model
 * set its q4 case peaked at 617 MiB, over the 598 (1.3 x weights + 0.5 GB), with these at 489
 * (bench/results/scale-smollm2-small-set.json; both before the chunked head's per-chunk ordering, after which
 * scale.json has 448 with these; the small-model set was not measured again). The bundled model (9.6 MB) does not.
 */
export const MALLOC_TUNED_FROM_BYTES = 256 * 2 ** 20;

/** Bytes of the *.safetensors files in the folder given to --model in `args` (0 when none is given or readable). */
function modelWeightBytes(args) {
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
 * The GLIBC_TUNABLES the CLI runs with (null: none set): on Linux, unless GLIBC_TUNABLES is set already or
 * DROPLAB_MALLOC=default; MALLOC_TUNABLES for weight files from MALLOC_TUNED_FROM_BYTES (or DROPLAB_MALLOC=tuned),
 * else MALLOC_TUNABLES_SMALL (also for commands without a model: they are short).
 */
export function mallocTunablesFor(args, env, platform) {
  if (platform !== 'linux' || env.GLIBC_TUNABLES !== undefined || env.DROPLAB_MALLOC === 'default') return null;
  if (env.DROPLAB_MALLOC === 'tuned' || modelWeightBytes(args) >= MALLOC_TUNED_FROM_BYTES) return MALLOC_TUNABLES;
  return MALLOC_TUNABLES_SMALL;
}
