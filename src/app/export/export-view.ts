/**
 * Pure view-model helpers of the export panel: format descriptions, the notices an export preview
 * calls for, the download's file name, and grouping of the preview's files.
 */
import type { DropConfig, ExportFormat, ExportPreview, Q4Request, QuantMethod } from '../../engine/api';
import { formatBytes } from '../format';

export interface FormatInfo {
  id: ExportFormat;
  label: string;
  file: string;
  /** transformers.js `dtype` that loads it. */
  dtype: string;
  note: string;
}

/** The four weight formats (src/engine/export, docs/EXPORT.md), in the order they are offered. */
export const FORMATS: readonly FormatInfo[] = [
  {
    id: 'fp32',
    label: 'fp32',
    file: 'onnx/model.onnx',
    dtype: 'fp32',
    note: 'float32 weights: exactly the model measured here',
  },
  {
    id: 'fp16',
    label: 'fp16',
    file: 'onnx/model_fp16.onnx',
    dtype: 'fp16',
    note: 'float16 weights, float32 arithmetic: half the download',
  },
  {
    id: 'q8',
    label: 'q8',
    file: 'onnx/model_quantized.onnx',
    dtype: 'q8',
    note: '8-bit MatMulNBits (block 32, symmetric): runs on onnxruntime-web WebGPU',
  },
  {
    id: 'q4',
    label: 'q4',
    file: 'onnx/model_q4.onnx',
    dtype: 'q4',
    note: '4-bit MatMulNBits (symmetric; RTN, GPTQ or AWQ, block 32/64/128 below); embedding fp16, LM head 8-bit',
  },
];

export const DEFAULT_FORMATS: ExportFormat[] = ['fp32', 'q4'];

/** The q4 choices of the panel (the engine's Q4Request without the optional searches). */
export interface QuantChoice {
  method: QuantMethod;
  block: number;
  calibWindows: number;
  heldoutWindows: number;
}

/** Today's q4 (round-to-nearest, block 32), 8 calibration and 8 held-out windows of the current text. */
export const DEFAULT_QUANT: QuantChoice = { method: 'rtn', block: 32, calibWindows: 8, heldoutWindows: 8 };

/** The quantizers offered (src/engine/export/calibrated.ts, docs/EXPORT.md). */
export const QUANTIZERS: readonly { id: QuantMethod; label: string; note: string }[] = [
  { id: 'rtn', label: 'RTN', note: 'round to nearest: no calibration, today’s q4' },
  { id: 'gptq', label: 'GPTQ', note: 'error compensation through the Hessian of each linear’s inputs (calibrated)' },
  { id: 'awq', label: 'AWQ', note: 'activation-aware per-channel scales, searched on calibration inputs' },
];
export const QUANT_BLOCK_SIZES: readonly number[] = [32, 64, 128];

/** The request's q4 part: only when q4 is among the formats. */
export function q4Request(formats: readonly ExportFormat[], q: QuantChoice): Q4Request | undefined {
  if (!formats.includes('q4')) return undefined;
  return { method: q.method, block: q.block, calibWindows: q.calibWindows, heldoutWindows: q.heldoutWindows };
}

/** "≈ 12 s" / "≈ 3 min" / "under 1 s" for an estimate in milliseconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return 'under 1 s';
  if (ms < 90_000) return `≈ ${Math.round(ms / 1000)} s`;
  return `≈ ${Math.round(ms / 60_000)} min`;
}

/** "+0.29%": the q4 perplexity relative to fp32. */
export function perplexityGap(fp32: number, q4: number): string {
  const g = 100 * (q4 / fp32 - 1);
  return `${g >= 0 ? '+' : '−'}${Math.abs(g).toFixed(2)}%`;
}

/** Toggle a format, keeping the FORMATS order. */
export function toggleFormat(formats: readonly ExportFormat[], f: ExportFormat): ExportFormat[] {
  const on = new Set(formats);
  if (on.has(f)) on.delete(f);
  else on.add(f);
  return FORMATS.map((x) => x.id).filter((x) => on.has(x));
}

export interface ExportNotice {
  kind: 'error' | 'warning' | 'info';
  /** Stable id for tests and React keys. */
  id: string;
  text: string;
}

/**
 * What the person should know before exporting. Errors block the export (a zip past 4 GiB); warnings
 * (no LLM-Drop modeling file for the family, ...) and infos (external data past 2 GB) do not.
 */
export function exportNotices(p: ExportPreview): ExportNotice[] {
  const out: ExportNotice[] = [];
  if (p.formats.length === 0)
    out.push({
      id: 'no-onnx',
      kind: 'info',
      text: 'No ONNX format chosen: the zip holds the LLM-Drop config and the pruned checkpoint only.',
    });
  if (p.zipBytes > p.zipLimitBytes)
    out.push({
      id: 'zip-too-large',
      kind: 'error',
      text:
        `This export is about ${formatBytes(p.zipBytes)}, more than one zip download can hold (${formatBytes(p.zipLimitBytes)}: the zip writer has no ZIP64). ` +
        'Choose fewer formats (q4 is the smallest), or export to a folder with the CLI: npm run cli -- export --model DIR --format … --out DIR.',
    });
  if (!p.llmDropLoadable) {
    out.push({
      id: 'no-llmdrop-modeling',
      kind: 'warning',
      text:
        `LLM-Drop ships no modeling file for ${p.family} models (only llama, mistral, gemma2, baichuan, deepseek): config.json still gets ` +
        'drop_attn_list and drop_mlp_list, and the ONNX files and DropLab honour them, but LLM-Drop cannot load the folder and ' +
        `transformers' own ${p.family} class ignores the lists.`,
    });
  }
  for (const w of p.warnings) {
    if (!p.llmDropLoadable && /no modeling file/i.test(w)) continue; // said above, in the panel's words
    out.push({ id: `warning-${out.length}`, kind: 'warning', text: w });
  }
  for (const f of p.externalData) {
    const info = FORMATS.find((x) => x.id === f);
    const file = info?.file ?? f;
    out.push({
      id: `external-${f}`,
      kind: 'info',
      text:
        `${f} weights pass ${formatBytes(p.externalDataThresholdBytes)} (protobuf's 2 GB limit): ${file} holds the graph and the weights go to ` +
        `${file}_data, ${file}_data_1, … (each under 2 GiB); config.json's transformers.js_config.use_external_data_format tells transformers.js how many.`,
    });
  }
  return out;
}

/** "droplab-byte-12l-pruned-a3.5-m7.zip": model name made file-safe, plus the drops. */
export function zipFileName(modelName: string, drop: DropConfig): string {
  const base =
    modelName
      .replace(/\//g, '-') // "org/name" -> "org-name"
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 80) || 'model';
  const parts: string[] = [];
  if (drop.attn.length) parts.push(`a${drop.attn.join('.')}`);
  if (drop.mlp.length) parts.push(`m${drop.mlp.join('.')}`);
  const tag = parts.length ? `pruned-${parts.join('-')}` : 'full';
  const name = `${base}-${tag}`;
  return `${name.length > 180 ? `${name.slice(0, 180)}-etc` : name}.zip`;
}

export interface FileGroup {
  label: string;
  bytes: number;
  files: ExportPreview['files'];
}

/** Files grouped as the panel lists them: ONNX (per file), checkpoint, config and tokenizer. */
export function fileGroups(p: ExportPreview): FileGroup[] {
  const onnx = p.files.filter((f) => f.path.startsWith('onnx/'));
  const ckpt = p.files.filter((f) => f.path.endsWith('.safetensors') || f.path.endsWith('.safetensors.index.json'));
  const rest = p.files.filter((f) => !onnx.includes(f) && !ckpt.includes(f));
  const sum = (fs: ExportPreview['files']) => fs.reduce((n, f) => n + f.bytes, 0);
  const groups: FileGroup[] = onnx.map((f) => ({ label: f.path, bytes: f.bytes, files: [f] }));
  if (ckpt.length) groups.push({ label: 'pruned checkpoint (safetensors)', bytes: sum(ckpt), files: ckpt });
  groups.push({ label: 'config, tokenizer, README', bytes: sum(rest), files: rest });
  return groups;
}

/** Fraction done of an export's byte progress, 0..1. */
export function progressFraction(p: { done: number; total: number } | null): number {
  if (!p || !(p.total > 0)) return 0;
  return Math.max(0, Math.min(1, p.done / p.total));
}
