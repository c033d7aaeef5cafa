/**
 * glibc malloc settings for processes that run onnxruntime-node (the CLI, bench/scale.ts's cases).
 *
 * With the runtime's CPU arena off (docs/PRECISION.md), each run's activations (1-32 MiB: hidden states, MLP
 * intermediates, a head chunk's logits) are malloc'd and freed. glibc's dynamic mmap threshold soon rises past
 * them, so they come from the heap, where fragmentation keeps freed pages resident: a Qwen2.5-0.5B shape at q8
 * peaked at 1,700 MiB RSS for 863 MiB after load (bench/scale-case.ts, 4 windows x 128 tokens). With blocks from
 * 2 MiB up mapped on their own (returned to the system when freed) and backed by transparent huge pages (so the
 * extra page faults cost little): 1,162 MiB in about the same time (25.5 s against 23.3 s). A fixed 1 MiB
 * threshold without huge pages gave 1,096 MiB but took 2.4x as long (page faults).
 */
export const MALLOC_TUNABLES = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=2097152';
