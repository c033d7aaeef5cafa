/**
 * The ONNX runtime as the engine sees it: a structural subset of onnxruntime-common's API, injected
 * by the host (onnxruntime-web in the worker, onnxruntime-node in Node/CLI/tests). The engine never
 * imports a runtime package; this file is the whole contract.
 */
export type OrtDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';

export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown; // typed array when location is 'cpu'
  readonly location?: string; // 'cpu' | 'gpu-buffer' | ...
  getData?(releaseData?: boolean): Promise<unknown>;
  dispose(): void;
}

export interface OrtTensorConstructor {
  new (
    type: OrtDataType,
    data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array,
    dims: readonly number[],
  ): OrtTensor;
}

export interface OrtSessionOptions {
  executionProviders?: readonly (string | { name: string; [k: string]: unknown })[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  preferredOutputLocation?: string | Record<string, string>;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  [k: string]: unknown;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtLike {
  Tensor: OrtTensorConstructor;
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
}

/** Which execution provider the engine uses, and why (shown to the user). */
export interface BackendChoice {
  name: 'webgpu' | 'wasm' | 'cpu' | 'cuda';
  detail: string; // adapter name, or the reason WebGPU is not used
  /** Keep hidden states on the device between sessions (WebGPU 'gpu-buffer'). */
  keepOnDevice: boolean;
}
