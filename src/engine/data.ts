/**
 * Calibration and evaluation windows, LLM-Drop style (DESIGN.md 3; LLM-Drop prepares its calibration
 * set like LLaMA-Factory's pre-training data: text + EOS per document, tokenized without special
 * tokens, concatenated, cut into blocks of seqLen with the remainder dropped).
 *
 * Decisions:
 * - Too few windows: when the text holds fewer than the requested N windows (but at least one),
 *   every available window is used; `windows` says how many were used and `availableWindows` how many
 *   exist, so the caller can tell the person. Fewer than one window throws TextTooShortError.
 * - Documents are used as given (an empty string contributes its EOS only); splitDocuments() is what
 *   turns a pasted or uploaded text into documents and already drops blank ones.
 * - Only what the windows need is tokenized once the rest of the text is large (more than `exactChars`,
 *   1 Mi characters by default): documents are encoded in order until windows * seqLen tokens are there,
 *   and a long document is encoded by growing prefixes, a prefix's tokens taken only as far as they agree
 *   with the encoding of a prefix twice as long (tokens near a cut can differ from the whole text's;
 *   those far from it do not). The windows are the same as from the whole text (tests compare); then
 *   textTokens and availableWindows are estimates (tokens per character of what was encoded, times the
 *   text's characters) and `estimated` is true. A 20 MB text for 2 windows no longer takes a minute.
 */
import { TextTooShortError } from './errors';

export interface Windows {
  ids: Int32Array; // [windows * seqLen], window w = ids[w*seqLen .. (w+1)*seqLen)
  windows: number; // windows used: min(requested, availableWindows)
  seqLen: number;
  textTokens: number; // tokens of the whole text, one EOS per document included
  availableWindows: number; // floor(textTokens / seqLen)
  /** True when only part of a long text was tokenized: textTokens and availableWindows are then estimates. */
  estimated: boolean;
}

/** Below this many characters left, the rest of the text is tokenized anyway (exact counts are cheap). */
export const EXACT_CHARS = 1 << 20;

/**
 * The first `want` tokens of encode(doc) from prefixes of doc (see the module note), or null when doc
 * has fewer than `want` tokens. `chars`: the length of the prefix they came from, `encoded`: its tokens.
 */
function prefixTokens(
  doc: string,
  encode: (s: string) => number[],
  want: number,
): { ids: number[]; chars: number; encoded: number } | null {
  let n = Math.max(4096, want * 16);
  while (n < doc.length) {
    const a = encode(doc.slice(0, n));
    if (a.length >= want + 64) {
      const m = Math.min(doc.length, 2 * n);
      const b = m === doc.length ? null : encode(doc.slice(0, m));
      let p = 0;
      if (b) while (p < want && a[p] === b[p]) p++;
      if (b && p >= want) return { ids: a.slice(0, want), chars: n, encoded: a.length };
    }
    n *= 2;
  }
  const all = encode(doc);
  return all.length >= want ? { ids: all.slice(0, want), chars: doc.length, encoded: all.length } : null;
}

/**
 * Each document -> encode(text) (no special tokens) followed by eosId; all concatenated; cut into
 * non-overlapping windows of seqLen tokens (remainder dropped); the first `windows` of them.
 */
export function buildWindows(
  docs: readonly string[],
  encode: (s: string) => number[],
  eosId: number,
  seqLen: number,
  windows: number,
  opts: { exactChars?: number } = {},
): Windows {
  if (!Number.isInteger(seqLen) || seqLen < 2) {
    throw new RangeError(
      `Window length must be a whole number of at least 2 tokens (one context token and one to predict); got ${seqLen}.`,
    );
  }
  if (!Number.isInteger(windows) || windows < 1) {
    throw new RangeError(`Number of windows must be a whole number of at least 1; got ${windows}.`);
  }
  if (!Number.isInteger(eosId) || eosId < 0)
    throw new RangeError(`EOS token id must be a whole number >= 0; got ${eosId}.`);

  const exactChars = opts.exactChars ?? EXACT_CHARS;
  const need = windows * seqLen;
  let left = 0; // characters not yet encoded (one per document for its EOS)
  for (const doc of docs) left += doc.length + 1;
  const totalChars = left;
  let stopped = false;
  let extra = 0; // tokens encoded but not taken (past the windows, in a long document's prefix)
  const tokens: number[] = [];
  const push = (ids: readonly number[]) => {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new RangeError(`The tokenizer returned an invalid token id (${id}).`);
      }
      tokens.push(id);
    }
  };
  for (const doc of docs) {
    if (tokens.length >= need && left > exactChars) {
      stopped = true;
      break;
    }
    if (tokens.length < need && left > exactChars && doc.length > exactChars) {
      const part = prefixTokens(doc, encode, need - tokens.length);
      if (part && part.chars < doc.length) {
        push(part.ids);
        extra = part.encoded - part.ids.length;
        left -= part.chars;
        stopped = true;
        break;
      }
    }
    push(encode(doc));
    tokens.push(eosId);
    left -= doc.length + 1;
  }

  const textTokens = stopped
    ? Math.max(tokens.length, Math.round(((tokens.length + extra) * totalChars) / (totalChars - left)))
    : tokens.length;
  const availableWindows = Math.floor(textTokens / seqLen);
  if (availableWindows < 1) {
    throw new TextTooShortError(
      `The text has ${textTokens} tokens (with one end-of-text token per document), but one window needs ${seqLen}. ` +
        'Add more text or choose a shorter window length.',
      { textTokens, seqLen },
    );
  }
  const used = Math.min(windows, availableWindows);
  return {
    ids: Int32Array.from(tokens.slice(0, used * seqLen)),
    windows: used,
    seqLen,
    textTokens,
    availableWindows,
    estimated: stopped,
  };
}

/**
 * Split a pasted or uploaded text into documents. The text is one document unless it contains
 * separators: a form feed (\f), or a line that holds only "<|endoftext|>" (surrounding spaces/tabs
 * allowed; "<|endoftext|>" inside a line is ordinary text). Line endings are normalized to \n;
 * each document is trimmed of leading and trailing whitespace; blank documents are dropped (so a text
 * of only whitespace gives []).
 */
export function splitDocuments(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\f|^[ \t]*<\|endoftext\|>[ \t]*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
