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
 */
import { TextTooShortError } from './errors';

export interface Windows {
  ids: Int32Array; // [windows * seqLen], window w = ids[w*seqLen .. (w+1)*seqLen)
  windows: number; // windows used: min(requested, availableWindows)
  seqLen: number;
  textTokens: number; // tokens of the whole text, one EOS per document included
  availableWindows: number; // floor(textTokens / seqLen)
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

  const tokens: number[] = [];
  for (const doc of docs) {
    const ids = encode(doc);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new RangeError(`The tokenizer returned an invalid token id (${id}).`);
      }
      tokens.push(id);
    }
    tokens.push(eosId);
  }

  const textTokens = tokens.length;
  const availableWindows = Math.floor(textTokens / seqLen);
  if (availableWindows < 1) {
    throw new TextTooShortError(
      `The text has ${textTokens} tokens (with one end-of-text token per document), but one window needs ${seqLen}. ` +
        'Add more text or choose a shorter window length.',
      { textTokens, seqLen },
    );
  }
  const used = Math.min(windows, availableWindows);
  return { ids: Int32Array.from(tokens.slice(0, used * seqLen)), windows: used, seqLen, textTokens, availableWindows };
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
