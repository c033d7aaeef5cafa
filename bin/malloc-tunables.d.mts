/** glibc malloc settings for processes that run onnxruntime-node (./malloc-tunables.mjs says why). */
export declare const MALLOC_TUNABLES: string;
