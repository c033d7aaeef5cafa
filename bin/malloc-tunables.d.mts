/** glibc malloc settings for processes that run onnxruntime-node (./malloc-tunables.mjs says why). */
export declare const MALLOC_TUNABLES: string;
export declare const MALLOC_TUNABLES_SMALL: string;
export declare const MALLOC_TUNED_FROM_BYTES: number;
export declare function mallocTunablesFor(
  args: readonly string[],
  env: Record<string, string | undefined>,
  platform: string,
): string | null;
