/**
 * What every model command does first: open the model folder, load it into an Engine on
 * onnxruntime-node, read the text file and set the evaluation windows. Also the JSON shapes shared by
 * the commands' --json output.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { DataInfo, DropConfig, EvalResult, ModelInfo, Progress, WeightPrecision } from '../engine/api';
import type { Engine } from '../engine/engine';
import { MissingFileError, SettingsError } from '../engine/errors';
import { type Flags, UsageError } from './args';
import type { CliIo } from './command';
import { compact, int, ppl } from './format';
import { folderFiles } from './node-files';
import { type NodeDevice, nodeEngine, threads } from './ort-node';

export interface Session {
  engine: Engine;
  info: ModelInfo;
  data: DataInfo;
  modelDir: string;
  textPath: string;
  /** --text as given (shown in the human output). */
  textArg: string;
  /** Progress reporter for the engine's long calls (stderr, terminals only). */
  progress: (p: Progress) => void;
  /** Clears the progress line. */
  done(): void;
  close(): Promise<void>;
}

/** The text of a file, or MissingFileError naming it. */
export function readText(path: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new MissingFileError(`The text file ${path} does not exist.`, { file: path });
  }
  if (!st.isFile())
    throw new MissingFileError(`${path} is not a file; --text wants a UTF-8 text file.`, { file: path });
  return readFileSync(path, 'utf8');
}

/** A progress line on stderr, rewritten in place; silent unless stderr is a terminal. */
export function progressLine(io: CliIo, quiet: boolean): { report: (p: Progress) => void; clear: () => void } {
  let shown = false;
  let last = 0;
  if (quiet || !io.errIsTTY) return { report: () => undefined, clear: () => undefined };
  return {
    report: (p) => {
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      const total = p.total > 0 ? `/${p.total}` : '';
      const unit = p.unit === 'bytes' ? ` ${int(p.done / 1e6)} MB` : ` ${p.done}${total}${p.unit ? ` ${p.unit}` : ''}`;
      io.err(`\r\x1b[2K${p.stage}${unit}`);
      shown = true;
    },
    clear: () => {
      if (shown) io.err('\r\x1b[2K');
      shown = false;
    },
  };
}

/**
 * --threads, checked against this machine's cores (a UsageError past them unless --force-threads:
 * 100000 threads used to start and hang silently). undefined: onnxruntime's default (all cores).
 */
export function threadsFromFlags(flags: Flags, cores = availableParallelism()): number | undefined {
  const n = flags.threads as number | undefined;
  if (n !== undefined && n > cores && !flags['force-threads'])
    throw new UsageError(
      `--threads ${n} is more than this machine's ${cores} cores; use --threads ${cores} or less, or add --force-threads.`,
    );
  return n;
}

/** Load --model, read --text, set --seq-len/--windows. */
export async function openSession(flags: Flags, io: CliIo): Promise<Session> {
  const n = threadsFromFlags(flags); // a usage error first
  const modelDir = resolve(io.cwd, flags.model as string);
  const textPath = resolve(io.cwd, flags.text as string);
  const files = folderFiles(modelDir); // MissingFileError when the folder is absent
  const text = readText(textPath); // before the (slow) model load
  const device = (flags.device as NodeDevice | undefined) ?? 'cpu';
  const weights = (flags.weights as WeightPrecision | undefined) ?? 'fp32';
  // Batches of --batch windows: the CLI shows no progressive estimate, so no small first batch (batches.ts).
  const engine = nodeEngine(
    { batchWindows: flags.batch as number, batchSchedule: 'uniform', weights, ...(n ? threads(n) : {}) },
    device,
  );
  const { report, clear } = progressLine(io, flags.quiet === true);
  const onSigint = () => engine.cancel();
  process.once('SIGINT', onSigint);
  try {
    const info = await engine.loadModel({ kind: 'local', name: basename(modelDir) }, files, report);
    const data = await engine.setText(text, { seqLen: flags['seq-len'] as number, windows: flags.windows as number });
    clear();
    if (data.windows < (flags.windows as number))
      io.err(
        `droplab: the text holds only ${data.availableWindows} window${data.availableWindows === 1 ? '' : 's'} of ${data.seqLen} tokens; using ${data.windows} instead of ${String(flags.windows)}.\n`,
      );
    return {
      engine,
      info,
      data,
      modelDir,
      textPath,
      textArg: flags.text as string,
      progress: report,
      done: clear,
      close: async () => {
        clear();
        process.removeListener('SIGINT', onSigint);
        await engine.dispose();
      },
    };
  } catch (e) {
    clear();
    process.removeListener('SIGINT', onSigint);
    await engine.dispose().catch(() => undefined);
    throw deviceError(e, device);
  }
}

/** A provider that cannot start on --device as a SettingsError that says what to do (anything else passes through). */
export function deviceError(e: unknown, device: NodeDevice): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (device === 'webgpu' && /adapter|vulkan|webgpu_context|dawn/i.test(msg)) {
    const at = msg.indexOf('Failed to get a WebGPU adapter');
    const reason = (at >= 0 ? msg.slice(at) : msg).split('\n')[0].slice(0, 160);
    return new SettingsError(
      `--device webgpu: onnxruntime-node found no WebGPU adapter (${reason}). ` +
        "It needs a GPU with a Vulkan driver (Linux), Metal (macOS) or D3D12 (Windows). On Linux check that libvulkan1 and the GPU vendor's Vulkan driver are installed " +
        '(vulkaninfo lists the device). Without a GPU use --device cpu.',
      { device },
    );
  }
  return e;
}

/** Run `fn` with an open session, closing it afterwards. */
export async function withSession<T>(flags: Flags, io: CliIo, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await openSession(flags, io);
  try {
    const r = await fn(s);
    s.done();
    return r;
  } finally {
    await s.close();
  }
}

/** Drop configuration from --drop-attn / --drop-mlp. */
export function dropFromFlags(flags: Flags): DropConfig {
  return {
    attn: (flags['drop-attn'] as number[] | undefined) ?? [],
    mlp: (flags['drop-mlp'] as number[] | undefined) ?? [],
  };
}

// ---- shared JSON and text fragments ------------------------------------------------------------

export function modelJson(s: Session) {
  const { spec } = s.info;
  return {
    name: s.info.name,
    path: s.modelDir,
    family: spec.family,
    layers: spec.numLayers,
    hiddenSize: spec.hiddenSize,
    heads: spec.numHeads,
    kvHeads: spec.numKvHeads,
    intermediateSize: spec.intermediateSize,
    vocabSize: spec.vocabSize,
    parameters: s.info.parameters,
    weightBytes: s.info.weightBytes,
    weights: s.info.weights ?? 'fp32',
    backend: s.info.backend.detail,
  };
}

export function dataJson(s: Session) {
  return { text: s.textPath, ...s.data };
}

/** The fields every --json output has at the top level for one evaluation. */
export function evalJson(r: EvalResult) {
  return { perplexity: r.perplexity, meanNll: r.meanNll, tokens: r.tokens, seqLen: r.seqLen, windows: r.windows };
}

/** "model  NAME (llama, 12 layers, d=128, 2.4M parameters) on onnxruntime-node (CPU)". */
export function headerLines(s: Session): string {
  const { spec } = s.info;
  const params = compact(s.info.parameters);
  const d = s.data;
  return (
    `model  ${s.info.name} (${spec.family}, ${spec.numLayers} layers, d=${spec.hiddenSize}, ${params} parameters, ${s.info.weights ?? 'fp32'} weights) on ${s.info.backend.detail}\n` +
    `text   ${s.textArg}: ${d.textTokensEstimated ? `about ${int(d.textTokens)} tokens (estimated: only what the windows need was tokenized)` : `${int(d.textTokens)} tokens`}; ${windowsText(d.windows, d.seqLen)}` +
    (d.availableWindows > d.windows
      ? ` (of ${d.textTokensEstimated ? 'about ' : ''}${int(d.availableWindows)} available)`
      : '') +
    '\n'
  );
}

/** "perplexity 12.345 (mean NLL 2.5133 nats/token over 1,016 predicted tokens; 8 windows x 128 tokens)". */
export function perplexityLine(r: EvalResult, label = 'perplexity'): string {
  return `${label} ${ppl(r.perplexity)}  (mean NLL ${r.meanNll.toFixed(4)} nats/token over ${int(r.tokens)} predicted tokens; ${windowsText(r.windows, r.seqLen)})`;
}

/** "8 windows x 128 tokens". */
export function windowsText(windows: number, seqLen: number): string {
  return `${windows} window${windows === 1 ? '' : 's'} x ${seqLen} tokens`;
}
