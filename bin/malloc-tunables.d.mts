/** glibc malloc settings for processes that run onnxruntime-node on a mid-size model (./malloc-tunables.mjs says why). */
export declare const MALLOC_TUNABLES: string;
export declare const MALLOC_TUNED_FROM_BYTES: number;
export declare function modelWeightBytes(args: readonly string[]): number;
export declare function wantsMallocTunables(
  args: readonly string[],
  env: Record<string, string | undefined>,
  platform: string,
): boolean;
