/**
 * The share-link codec: the whole experiment in the URL hash (DESIGN.md 4), compact, versioned and
 * validated field by field on read.
 *
 *   #v1&m=b:droplab-byte-12l&da=3,5&dm=7&t=b:moby-dick-heldout&L=256&n=8&x=cos
 *   #v2&m=b:droplab-byte-12l&da=3,5&t=b:moby-dick-heldout&L=256&n=8&x=cos&c=1   (classroom mode)
 *
 * | key | value |
 * | --- | --- |
 * | `v1`, `v2` | format version, always first; a higher version is refused ("made by a newer DropLab"). A link is written in the lowest version that holds it: v2 only when it uses a v2 field, so every link an older DropLab can show stays readable there |
 * | `m`  | model: `b:<bundled name>`, `h:<hub id>[@<revision>]`, `l:<local folder name>` |
 * | `da`, `dm` | dropped attention / MLP layers, 0-based, strictly ascending, comma-separated (absent = none) |
 * | `t`  | text: `b:<bundled text id>`, `p:<pasted text>` or `u:<uploaded text>`; a text is raw DEFLATE, base64url |
 * | `tn` | the uploaded file's name (with `t=u:` only) |
 * | `L`, `n` | window length in tokens, number of windows |
 * | `x`  | heatmap metric: `cos`, `nonorm`, `block`, `dnll` (default `cos`) |
 * | `c`  | v2: `1` = classroom mode (absent: the link leaves the reader's own choice alone) |
 * | `r`  | v3: imported results (scores of a model analysed elsewhere), packed by share-results.ts |
 * | `k`, `kn`, `kl`, `ks` | v3: the task scored beside perplexity and its items (src/state/task-link.ts) |
 *
 * Decoding either returns a complete, valid Experiment or throws ShareLinkError with a message for the
 * person who opened the link: a damaged, hostile or future-version link is never half-applied. Indices
 * are checked against the model once its config is known (checkExperimentAgainstModel). Nothing read
 * from a link is ever used as HTML; names are restricted to plain printable text on top of that.
 */
import { Inflate, deflateSync } from 'fflate';
import type { DropConfig, ModelSource, ModelSpec } from '../engine/api';
import { ShareLinkError } from '../engine/errors';
import {
  base64url,
  fromBase64url as decodeBase64url,
  packResults,
  type SharedResults,
  unpackResults,
} from './share-results';
import { checkTaskChoice, decodeTaskFields, encodeTaskFields, TASK_LINK_KEYS } from './task-link';
import type { TaskChoice } from './tasks';

export const SHARE_LINK_VERSION = 3;

/** Longest hash accepted (characters after '#'). */
export const MAX_HASH_CHARS = 100_000;
/** Longest custom (pasted or uploaded) text, in UTF-8 bytes; the store enforces it on input too. */
export const MAX_TEXT_BYTES = 200_000;
export const MAX_LAYERS = 1024;
export const SEQ_LEN_RANGE = { min: 2, max: 8192 } as const;
export const WINDOWS_RANGE = { min: 1, max: 4096 } as const;
const MAX_NAME_CHARS = 120;

export type MetricView = 'cosine' | 'nonorm' | 'block' | 'dnll';
export const METRIC_VIEWS: readonly MetricView[] = ['cosine', 'nonorm', 'block', 'dnll'];
const METRIC_CODES: Record<MetricView, string> = { cosine: 'cos', nonorm: 'nonorm', block: 'block', dnll: 'dnll' };

export type TextChoice =
  | { kind: 'bundled'; id: string }
  | { kind: 'paste'; text: string }
  | { kind: 'upload'; name: string; text: string };

export interface Experiment {
  model: ModelSource;
  drops: DropConfig;
  text: TextChoice;
  seqLen: number;
  windows: number;
  metric: MetricView;
  /** Classroom mode (v2 links); absent: not said, the reader's own choice stays. */
  classroom?: true;
  /** Results imported from elsewhere, shown without their model's weights (v3 links). */
  imported?: SharedResults;
  /** The task scored beside perplexity (v3 links; src/state/task-link.ts). */
  task?: TaskChoice;
}

// ---------------------------------------------------------------------------------------------------
// Field rules, shared by the encoder (which refuses to write what the decoder would refuse) and decoder.

const BUNDLED_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TEXT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// Hugging Face repo ids: "name" or "owner/name"; letters, digits, '-', '_', '.'; no "--" or ".." tricks.
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
// Display names (local folder, uploaded file): printable, no markup characters, no bidi controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f<>"`\\\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** A well-formed Hugging Face model id (what the Hub form and links accept). */
export function isHubId(id: string): boolean {
  return HUB_ID.test(id) && !id.includes('..') && !id.includes('--');
}

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new ShareLinkError(message, details);
}

/**
 * A local folder's or an uploaded file's name as a link holds it. A name on disk can be anything (`<`,
 * quotes, a backtick, a backslash, control characters, 255 bytes), and a link that refused it stopped every
 * URL update and the autosave. The link keeps a safe form instead: each character a link name cannot have
 * becomes '_', leading and trailing spaces go, and it is cut to 120 characters. It is a display name (and
 * what a picked folder is matched by, through this same function), never used as HTML or as a path.
 */
export function linkSafeName(name: string): string {
  let out = '';
  for (const c of name) {
    // A lone surrogate cannot be percent-encoded (encodeURIComponent throws): it goes too.
    const bad = BAD_NAME_CHARS.test(c) || (c.length === 1 && c >= '\ud800' && c <= '\udfff');
    const k = bad ? '_' : c;
    if (out.length + k.length > MAX_NAME_CHARS) break;
    out += k;
  }
  const safe = out.trim();
  return safe.length > 0 ? safe : '_';
}

/** The experiment as its link holds it: local folder and uploaded file names in their safe form. */
export function linkSafeExperiment(e: Experiment): Experiment {
  const model: ModelSource = e.model.kind === 'local' ? { kind: 'local', name: linkSafeName(e.model.name) } : e.model;
  const text: TextChoice = e.text.kind === 'upload' ? { ...e.text, name: linkSafeName(e.text.name) } : e.text;
  const ts = e.task?.source;
  const task =
    e.task && ts?.kind === 'jsonl' && linkSafeName(ts.name) !== ts.name
      ? { ...e.task, source: { ...ts, name: linkSafeName(ts.name) } }
      : e.task;
  if (model === e.model && text === e.text && task === e.task) return e;
  return task ? { ...e, model, text, task } : { ...e, model, text };
}

function checkDisplayName(name: string, what: string): void {
  if (name.length === 0 || name.length > MAX_NAME_CHARS)
    fail(`The link's ${what} must be 1 to ${MAX_NAME_CHARS} characters long.`);
  if (BAD_NAME_CHARS.test(name))
    fail(`The link's ${what} contains characters a name cannot have (control characters or markup).`);
  if (name.trim() !== name) fail(`The link's ${what} has leading or trailing spaces.`);
}

function checkHubId(id: string, revision: string | undefined): void {
  if (!HUB_ID.test(id) || id.includes('..') || id.includes('--')) {
    fail(`"${clip(id)}" is not a Hugging Face model id (expected owner/name, e.g. HuggingFaceTB/SmolLM2-135M).`);
  }
  if (revision !== undefined && (!REVISION.test(revision) || revision.includes('..'))) {
    fail(`"${clip(revision)}" is not a valid revision (a branch, tag or commit hash).`);
  }
}

function checkModel(m: ModelSource): void {
  if (m.kind === 'bundled') {
    if (!BUNDLED_NAME.test(m.name)) fail(`"${clip(m.name)}" is not the name of a bundled model.`);
  } else if (m.kind === 'hub') {
    checkHubId(m.id, m.revision);
  } else if (m.kind === 'local') {
    checkDisplayName(m.name, 'local folder name');
  } else {
    fail('The link names a kind of model source this version does not know.');
  }
}

function checkInt(value: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    fail(`The link's ${what} must be a whole number from ${min} to ${max}.`);
}

function checkLayers(list: readonly number[], what: string): void {
  if (list.length > MAX_LAYERS) fail(`The link drops more ${what} layers than any model has.`);
  for (let i = 0; i < list.length; i++) {
    checkInt(list[i], `${what} layer index`, 0, MAX_LAYERS - 1);
    if (i > 0 && list[i] <= list[i - 1])
      fail(`The link's ${what} layer list must be strictly ascending, without repeats.`);
  }
}

function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function checkText(t: TextChoice): void {
  if (t.kind === 'bundled') {
    if (!TEXT_ID.test(t.id)) fail(`"${clip(t.id)}" is not the id of a bundled text.`);
    return;
  }
  if (t.kind !== 'paste' && t.kind !== 'upload') fail('The link names a kind of text this version does not know.');
  if (t.kind === 'upload') checkDisplayName(t.name, 'file name');
  if (t.text.trim().length === 0) fail('The link holds an empty text.');
  if (utf8Bytes(t.text).length > MAX_TEXT_BYTES) fail(`The link's text is longer than ${MAX_TEXT_BYTES / 1000} kB.`);
}

/** Throws ShareLinkError unless `e` is a complete, well-formed experiment (what the encoder accepts). */
export function validateExperiment(e: Experiment): void {
  checkModel(e.model);
  checkLayers(e.drops.attn, 'attention');
  checkLayers(e.drops.mlp, 'MLP');
  checkText(e.text);
  checkInt(e.seqLen, 'window length', SEQ_LEN_RANGE.min, SEQ_LEN_RANGE.max);
  checkInt(e.windows, 'number of windows', WINDOWS_RANGE.min, WINDOWS_RANGE.max);
  if (!METRIC_VIEWS.includes(e.metric)) fail('The link names a heatmap metric this version does not know.');
  if (e.classroom !== undefined && e.classroom !== true)
    fail('The link sets classroom mode in a way this version does not know.');
  if (e.task !== undefined) checkTaskChoice(e.task, checkDisplayName);
}

/** Indices and window length against the model the link names, once its config is known. */
export function checkExperimentAgainstModel(e: Experiment, spec: ModelSpec, modelName: string): void {
  const L = spec.numLayers;
  const bad = [
    ...e.drops.attn.map((l) => ['attention', l] as const),
    ...e.drops.mlp.map((l) => ['MLP', l] as const),
  ].find(([, l]) => l >= L);
  if (bad) {
    fail(`The link drops ${bad[0]} layer ${bad[1]}, but ${modelName} has only ${L} layers (0 to ${L - 1}).`, {
      layer: bad[1],
      numLayers: L,
    });
  }
  if (e.seqLen > spec.maxPositions) {
    fail(`The link's window length (${e.seqLen} tokens) is longer than ${modelName} supports (${spec.maxPositions}).`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Encoding.

/** Percent-encoding for a fragment value: keeps '/', '@', ':' and ',' readable; '&' and '=' are escaped. */
function enc(v: string): string {
  return encodeURIComponent(v).replace(/%2F/g, '/').replace(/%40/g, '@').replace(/%3A/g, ':').replace(/%2C/g, ',');
}

function encodeModel(m: ModelSource): string {
  if (m.kind === 'bundled') return `b:${m.name}`;
  if (m.kind === 'hub') return `h:${m.id}${m.revision !== undefined ? `@${m.revision}` : ''}`;
  return `l:${m.name}`;
}

// The hash is rewritten as the person works: remember the last packed text (deflate of 200 kB ~ 10 ms).
let lastPacked: { text: string; packed: string } | null = null;

function packText(text: string): string {
  if (lastPacked?.text === text) return lastPacked.packed;
  const packed = base64url(deflateSync(utf8Bytes(text), { level: 9 }));
  lastPacked = { text, packed };
  return packed;
}

function encodeText(t: TextChoice): string {
  if (t.kind === 'bundled') return `b:${t.id}`;
  return `${t.kind === 'paste' ? 'p' : 'u'}:${packText(t.text)}`;
}

/**
 * The hash for an experiment, without the leading '#'. Local folder and uploaded file names are written in
 * their safe form (linkSafeName). Throws ShareLinkError for an invalid one.
 */
export function encodeExperiment(experiment: Experiment): string {
  const e = linkSafeExperiment(experiment);
  validateExperiment(e);
  const parts = [`v${e.imported || e.task ? 3 : e.classroom ? 2 : 1}`, `m=${enc(encodeModel(e.model))}`];
  if (e.drops.attn.length) parts.push(`da=${e.drops.attn.join(',')}`);
  if (e.drops.mlp.length) parts.push(`dm=${e.drops.mlp.join(',')}`);
  parts.push(`t=${encodeText(e.text)}`);
  if (e.text.kind === 'upload') parts.push(`tn=${enc(e.text.name)}`);
  parts.push(`L=${e.seqLen}`, `n=${e.windows}`, `x=${METRIC_CODES[e.metric]}`);
  if (e.classroom) parts.push('c=1');
  if (e.imported) parts.push(`r=${packResults(e.imported)}`);
  if (e.task) parts.push(...encodeTaskFields(e.task, enc, packText));
  const hash = parts.join('&');
  if (hash.length > MAX_HASH_CHARS) {
    fail(
      `This experiment does not fit in a link (${hash.length} characters; the limit is ${MAX_HASH_CHARS}). Use a shorter text.`,
    );
  }
  return hash;
}

// ---------------------------------------------------------------------------------------------------
// Decoding.

const KEYS_V1 = new Set(['m', 'da', 'dm', 't', 'tn', 'L', 'n', 'x']);
const KEYS_V2 = new Set([...KEYS_V1, 'c']);
const KEYS_V3 = new Set([...KEYS_V2, 'r', ...TASK_LINK_KEYS]);

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function parseInt10(v: string, what: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(v)) fail(`The link's ${what} ("${clip(v, 20)}") is not a whole number.`);
  return Number(v);
}

function parseLayers(v: string, what: string): number[] {
  if (v === '') return [];
  const list = v.split(',').map((x) => parseInt10(x, `${what} layer index`));
  checkLayers(list, what);
  return list;
}

function parseModel(v: string): ModelSource {
  const kind = v.slice(0, 2);
  const rest = v.slice(2);
  if (kind === 'b:') return { kind: 'bundled', name: rest };
  if (kind === 'l:') return { kind: 'local', name: rest };
  if (kind === 'h:') {
    const at = rest.indexOf('@');
    return at < 0 ? { kind: 'hub', id: rest } : { kind: 'hub', id: rest.slice(0, at), revision: rest.slice(at + 1) };
  }
  fail('The link names its model in a way this version does not know (expected b:, h: or l:).');
}

function inflateLimited(data: Uint8Array, limit: number, what = 'text'): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    size += chunk.length;
    if (size > limit)
      throw new ShareLinkError(`The ${what} in the link is longer than ${limit / 1000} kB once unpacked.`, {});
    chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // Small pieces, so that a compression bomb is stopped after at most about a megabyte of output.
    const step = 1024;
    for (let i = 0; i < data.length; i += step) inf.push(data.subarray(i, i + step), i + step >= data.length);
    if (data.length === 0) inf.push(data, true);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    fail(`The ${what} in the link is damaged (it does not unpack).`);
  }
  if (!ended) fail(`The ${what} in the link is damaged (it is cut short).`);
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function unpackText(payload: string, limit = MAX_TEXT_BYTES, what = 'text'): string {
  const bytes = inflateLimited(
    decodeBase64url(payload) ?? fail(`The ${what} in the link is damaged (not base64url).`),
    limit,
    what,
  );
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(`The ${what} in the link is damaged (it is not valid UTF-8).`);
  }
}

function parseText(v: string, uploadName: string | undefined): TextChoice {
  const kind = v.slice(0, 2);
  const rest = v.slice(2);
  if (kind === 'b:') {
    if (uploadName !== undefined) fail('The link gives a file name for a bundled text.');
    return { kind: 'bundled', id: rest };
  }
  if (kind === 'p:') {
    if (uploadName !== undefined) fail('The link gives a file name for a pasted text.');
    return { kind: 'paste', text: unpackText(rest) };
  }
  if (kind === 'u:') {
    if (uploadName === undefined) fail('The link holds an uploaded text without its file name.');
    return { kind: 'upload', name: uploadName, text: unpackText(rest) };
  }
  fail('The link names its text in a way this version does not know (expected b:, p: or u:).');
}

/** True when the hash holds no experiment at all ('' or '#'). */
export function isEmptyHash(hash: string): boolean {
  return hash === '' || hash === '#';
}

/**
 * Parse a hash ('#v1&…' or 'v1&…') into an Experiment. Throws ShareLinkError, whose message says what
 * is wrong, for anything but a complete, valid link of a version this code reads.
 */
export function decodeExperiment(hash: string): Experiment {
  if (typeof hash !== 'string') fail('The link is empty.');
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h.length === 0) fail('The link is empty.');
  if (h.length > MAX_HASH_CHARS) fail(`The link is too long (${h.length} characters; the limit is ${MAX_HASH_CHARS}).`);
  const parts = h.split('&');
  const version = /^v(0|[1-9][0-9]{0,5})$/.exec(parts[0]);
  if (!version) fail('This is not a DropLab experiment link (it does not start with a version such as v1).');
  const v = Number(version[1]);
  if (v > SHARE_LINK_VERSION) {
    fail(
      `This link was made by a newer DropLab (link format v${v}); this version reads v${SHARE_LINK_VERSION}. ` +
        'Open it with the DropLab that made it.',
      { version: v },
    );
  }
  if (v < 1) fail(`Link format v${v} does not exist.`);

  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail('The link is damaged (a field has no name or no value).');
    const key = part.slice(0, eq);
    if (!(v >= 3 ? KEYS_V3 : v >= 2 ? KEYS_V2 : KEYS_V1).has(key)) {
      if (KEYS_V3.has(key))
        fail(`The link's field "${key}" needs link format v${KEYS_V2.has(key) ? 2 : 3}, but the link says v${v}.`);
      fail(`The link has a field this version does not know ("${clip(key, 20)}").`);
    }
    if (fields.has(key)) fail(`The link gives the field "${key}" twice.`);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      fail(`The link is damaged (the field "${key}" is not properly encoded).`);
    }
    fields.set(key, value);
  }
  for (const key of ['m', 't', 'L', 'n']) {
    if (!fields.has(key)) fail(`The link is incomplete: it has no "${key}" field.`);
  }

  const metricCode = fields.get('x') ?? 'cos';
  const metric = METRIC_VIEWS.find((m) => METRIC_CODES[m] === metricCode);
  if (!metric) fail(`The link names a heatmap metric this version does not know ("${clip(metricCode, 20)}").`);

  const classroom = fields.get('c');
  if (classroom !== undefined && classroom !== '1')
    fail(`The link's classroom field must be 1 ("${clip(classroom, 20)}").`);
  const e: Experiment = {
    model: parseModel(fields.get('m')!),
    drops: { attn: parseLayers(fields.get('da') ?? '', 'attention'), mlp: parseLayers(fields.get('dm') ?? '', 'MLP') },
    text: parseText(fields.get('t')!, fields.get('tn')),
    seqLen: parseInt10(fields.get('L')!, 'window length'),
    windows: parseInt10(fields.get('n')!, 'number of windows'),
    metric,
    ...(classroom === '1' ? { classroom: true as const } : {}),
    ...(fields.has('r') ? { imported: unpackResults(fields.get('r')!) } : {}),
  };
  const task = decodeTaskFields(fields, (payload, limit) => unpackText(payload, limit, 'task'), parseInt10);
  if (task) e.task = task;
  validateExperiment(e);
  return e;
}

/** Deep equality of two experiments (after both went through the codec's canonical form). */
export function sameExperiment(a: Experiment, b: Experiment): boolean {
  try {
    return encodeExperiment(a) === encodeExperiment(b);
  } catch {
    return false;
  }
}
