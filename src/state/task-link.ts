/**
 * The task of an experiment in its share link (v3 fields, src/state/share-link.ts):
 *
 * | key | value |
 * | --- | --- |
 * | `k`  | the task: `o` (the offline task shipped with DropLab), `b:<built-in lm-eval task>`, `j:<JSONL file, raw DEFLATE, base64url>` |
 * | `kn` | the JSONL file's name (with `k=j:` only) |
 * | `kl` | items scored: the first N (absent: all) |
 * | `ks` | with `kl`: a seeded subsample of N instead of the first N |
 *
 * A JSONL task travels inside the link only while it is small (MAX_LINK_TASK_BYTES unpacked); the link
 * of a larger one leaves the task out (linkTask) and the Tasks panel says so. On read, a JSONL task is
 * parsed like a file the person opened (parseTaskJsonl): a line that is not an item refuses the link,
 * naming the line. Everything else is checked by checkTaskChoice, shared by the encoder and the decoder.
 */
import { parseTaskJsonl } from '../engine/api';
import { ShareLinkError } from '../engine/errors';
import { isBuiltinTask, MAX_TASK_LIMIT, MAX_TASK_SEED, type TaskChoice } from './tasks';

/** Largest JSONL task a link carries, in UTF-8 bytes before packing. */
export const MAX_LINK_TASK_BYTES = 16_000;

export const TASK_LINK_KEYS = ['k', 'kn', 'kl', 'ks'] as const;

function fail(message: string): never {
  throw new ShareLinkError(message, {});
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Whether a link can carry this task (a JSONL file only while it is small). */
export function fitsLink(c: TaskChoice): boolean {
  return c.source.kind !== 'jsonl' || utf8Length(c.source.text) <= MAX_LINK_TASK_BYTES;
}

/** The task as the link holds it: a JSONL file too large for a link is left out (null). */
export function linkTask(c: TaskChoice | null): TaskChoice | null {
  return c && fitsLink(c) ? c : null;
}

/** Throws ShareLinkError unless `c` is a task choice a link may hold. `checkName` checks a file name. */
export function checkTaskChoice(c: TaskChoice, checkName: (name: string, what: string) => void): void {
  const s = c.source;
  if (s.kind === 'builtin') {
    if (!isBuiltinTask(s.name))
      fail(`The link names a task this version does not know ("${String(s.name).slice(0, 40)}").`);
  } else if (s.kind === 'jsonl') {
    checkName(s.name, 'task file name');
    if (utf8Length(s.text) > MAX_LINK_TASK_BYTES)
      fail(`The link's task file is longer than ${MAX_LINK_TASK_BYTES / 1000} kB (the most a link carries).`);
    try {
      parseTaskJsonl(s.text, s.name);
    } catch (e) {
      fail(`The link's task is not a valid JSONL task: ${(e as Error).message}`);
    }
  } else if (s.kind !== 'offline') {
    fail('The link names a kind of task this version does not know.');
  }
  if (c.limit !== null && (!Number.isInteger(c.limit) || c.limit < 1 || c.limit > MAX_TASK_LIMIT))
    fail(`The link's number of task items must be a whole number from 1 to ${MAX_TASK_LIMIT}.`);
  if (c.seed !== null) {
    if (c.limit === null) fail('The link gives a task seed without a number of items.');
    if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > MAX_TASK_SEED)
      fail(`The link's task seed must be a whole number from 0 to ${MAX_TASK_SEED}.`);
  }
}

/** The link's fields for a (checked) task choice, encoded by `enc` and `pack`. */
export function encodeTaskFields(c: TaskChoice, enc: (v: string) => string, pack: (text: string) => string): string[] {
  const s = c.source;
  const parts = [`k=${s.kind === 'offline' ? 'o' : s.kind === 'builtin' ? `b:${s.name}` : `j:${pack(s.text)}`}`];
  if (s.kind === 'jsonl') parts.push(`kn=${enc(s.name)}`);
  if (c.limit !== null) parts.push(`kl=${c.limit}`);
  if (c.seed !== null) parts.push(`ks=${c.seed}`);
  return parts;
}

/**
 * The task choice from the link's fields (undefined when it has none). `unpack` inflates a packed text
 * up to a limit, `int` parses a whole number (both throw ShareLinkError); checkTaskChoice runs after.
 */
export function decodeTaskFields(
  fields: Map<string, string>,
  unpack: (payload: string, limit: number) => string,
  int: (v: string, what: string) => number,
): TaskChoice | undefined {
  const k = fields.get('k');
  if (k === undefined) {
    if (fields.has('kn') || fields.has('kl') || fields.has('ks')) fail('The link gives task settings without a task.');
    return undefined;
  }
  const name = fields.get('kn');
  const limit = fields.has('kl') ? int(fields.get('kl')!, 'number of task items') : null;
  const seed = fields.has('ks') ? int(fields.get('ks')!, 'task seed') : null;
  if (k === 'o' || k.startsWith('b:')) {
    if (name !== undefined) fail('The link gives a file name for a task that is not a file.');
    const source = k === 'o' ? ({ kind: 'offline' } as const) : { kind: 'builtin' as const, name: k.slice(2) };
    return { source: source as TaskChoice['source'], limit, seed };
  }
  if (k.startsWith('j:')) {
    if (name === undefined) fail('The link holds a task file without its name.');
    return { source: { kind: 'jsonl', name, text: unpack(k.slice(2), MAX_LINK_TASK_BYTES) }, limit, seed };
  }
  fail('The link names its task in a way this version does not know (expected o, b: or j:).');
}
