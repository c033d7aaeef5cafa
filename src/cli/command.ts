/**
 * The CLI's command contract. Each command is one module in src/cli/commands/ exporting a Command, listed
 * once in src/cli/commands/index.ts. A command module imports only light modules at the top (flags,
 * formatting) and loads the engine inside run(), so `--help` and usage errors answer at once.
 */
import type { FlagSpec, Flags } from './args';

export interface CliIo {
  /** Writes to standard output (no newline added). */
  out(s: string): void;
  /** Writes to standard error (no newline added). */
  err(s: string): void;
  /** Whether standard error is a terminal (progress lines are shown only then). */
  errIsTTY: boolean;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage lines after "droplab <name>", e.g. "--model DIR --text FILE [--json]". */
  synopsis: string;
  flags: readonly FlagSpec[];
  /** Paragraphs printed after the flags in `droplab <name> --help`. */
  details?: string;
  /** Returns the exit status (0 when omitted). Throws DropLabError (exit 2) or UsageError (exit 64). */
  run(flags: Flags, io: CliIo): Promise<number | undefined>;
}

/** Exit statuses (BSD sysexits for usage). */
export const EXIT = { ok: 0, internal: 1, error: 2, usage: 64, cancelled: 130 } as const;

// ---- flags shared by the commands that evaluate a model on a text -----------------------------

export const MODEL_FLAG: FlagSpec = {
  name: 'model',
  kind: 'string',
  metavar: 'DIR',
  required: true,
  help: 'Hugging Face model folder (config.json, *.safetensors, tokenizer.json)',
};
export const TEXT_FLAG: FlagSpec = {
  name: 'text',
  kind: 'string',
  metavar: 'FILE',
  required: true,
  help: 'UTF-8 text; documents separated by form feeds or <|endoftext|> lines',
};
export const SEQ_LEN_FLAG: FlagSpec = {
  name: 'seq-len',
  kind: 'int',
  metavar: 'N',
  min: 2,
  max: 1 << 20,
  default: 128,
  help: 'window length in tokens',
};
export const WINDOWS_FLAG: FlagSpec = {
  name: 'windows',
  kind: 'int',
  metavar: 'N',
  min: 1,
  max: 1 << 20,
  default: 8,
  help: 'number of windows (the first N)',
};
export const DROP_ATTN_FLAG: FlagSpec = {
  name: 'drop-attn',
  kind: 'ints',
  metavar: 'LIST',
  default: [],
  help: 'attention layers to drop, 0-based: 3,5 or 2-4',
};
export const DROP_MLP_FLAG: FlagSpec = {
  name: 'drop-mlp',
  kind: 'ints',
  metavar: 'LIST',
  default: [],
  help: 'MLP layers to drop, 0-based',
};
export const THREADS_FLAG: FlagSpec = {
  name: 'threads',
  kind: 'int',
  metavar: 'N',
  min: 1,
  max: 1024,
  help: 'onnxruntime intra-op threads (default: all cores; at most the core count unless --force-threads)',
};
export const FORCE_THREADS_FLAG: FlagSpec = {
  name: 'force-threads',
  kind: 'bool',
  help: 'allow --threads above the number of cores (up to 1024)',
};
export const BATCH_FLAG: FlagSpec = {
  name: 'batch',
  kind: 'int',
  metavar: 'N',
  min: 1,
  max: 4096,
  default: 8,
  help: 'windows per session run (memory vs. speed)',
};
export const JSON_FLAG: FlagSpec = { name: 'json', kind: 'bool', help: 'print one JSON object instead of tables' };
export const DEVICE_FLAG: FlagSpec = {
  name: 'device',
  kind: 'choice',
  metavar: 'cpu|webgpu|cuda',
  choices: ['cpu', 'webgpu', 'cuda'],
  default: 'cpu',
  help: "onnxruntime-node's execution provider: the CPU, WebGPU (a GPU through Vulkan/Metal/D3D12) or CUDA (where installed)",
};
export const RESULT_OUT_FLAG: FlagSpec = {
  name: 'out',
  kind: 'string',
  metavar: 'FILE',
  help: 'write the JSON result to FILE (implies --json; the workbench imports it with "Import results")',
};
export const WEIGHTS_FLAG: FlagSpec = {
  name: 'weights',
  kind: 'choice',
  metavar: 'fp32|fp16|q8|q4',
  choices: ['fp32', 'fp16', 'q8', 'q4'],
  default: 'fp32',
  help: 'weight precision: fp32 exact; fp16 half the memory; q8 / q4 MatMulNBits, block 32 (docs/PRECISION.md)',
};
export const QUIET_FLAG: FlagSpec = { name: 'quiet', kind: 'bool', help: 'no progress on standard error' };

/** --model, --text, --seq-len, --windows. */
export const DATA_FLAGS: readonly FlagSpec[] = [MODEL_FLAG, TEXT_FLAG, SEQ_LEN_FLAG, WINDOWS_FLAG];
/** --device, --weights, --threads, --force-threads, --batch, --json, --out FILE, --quiet. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  DEVICE_FLAG,
  WEIGHTS_FLAG,
  THREADS_FLAG,
  FORCE_THREADS_FLAG,
  BATCH_FLAG,
  JSON_FLAG,
  RESULT_OUT_FLAG,
  QUIET_FLAG,
];
