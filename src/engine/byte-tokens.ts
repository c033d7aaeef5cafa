/**
 * A shortcut for byte-level BPE tokenizers without merges (the bundled model's: one token per UTF-8 byte):
 * their encoding is the text's UTF-8 bytes, each mapped to the vocabulary entry of its byte-level character
 * (GPT-2's byte-to-character table). @huggingface/tokenizers gets the same ids by running BPE over the text,
 * which on a cold start costs about 100 ms of CPU for the bundled 66k-character text (issue 13 item 7); this
 * costs a few. Used only where it gives the library's ids exactly (tests/engine/model/byte-tokens.test.ts
 * compares): no normalizer, a ByteLevel pre-tokenizer without an added prefix space, a BPE model with no
 * merges and no word prefix or suffix, every byte in the vocabulary, no post-processor apart from ByteLevel;
 * a text holding an added token's content goes to the library (it splits those out).
 */

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** GPT-2's byte -> character table: printable Latin-1 bytes stand for themselves, the others for 256, 257, ... */
function byteChars(): string[] {
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : next++);
  }
  return out;
}

/**
 * An encoder giving the ids of a text (null for a text that holds an added token: the caller asks the
 * library), or null when tokenizer.json is not a merge-free byte-level BPE tokenizer.
 */
export function byteLevelEncoder(json: Record<string, unknown>): ((text: string) => number[] | null) | null {
  const { model, pre_tokenizer: pre, normalizer, post_processor: post } = json;
  if (!isObj(model) || (model.type ?? 'BPE') !== 'BPE' || !isObj(model.vocab)) return null;
  if (!Array.isArray(model.merges) || model.merges.length > 0 || model.dropout) return null;
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return null;
  if (normalizer !== undefined && normalizer !== null) return null;
  if (!isObj(pre) || pre.type !== 'ByteLevel' || pre.add_prefix_space === true) return null;
  if (post !== undefined && post !== null && !(isObj(post) && post.type === 'ByteLevel')) return null;
  const vocab = model.vocab as Record<string, unknown>;
  const ids = new Int32Array(256);
  const chars = byteChars();
  for (let b = 0; b < 256; b++) {
    const id = vocab[chars[b]];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return null;
    ids[b] = id;
  }
  const added = Array.isArray(json.added_tokens)
    ? json.added_tokens.map((t) => (isObj(t) ? t.content : undefined))
    : [];
  if (added.some((c) => typeof c !== 'string' || c.length === 0)) return null;
  const encoder = new TextEncoder();
  return (text) => {
    for (const c of added as string[]) if (text.includes(c)) return null;
    const bytes = encoder.encode(text);
    const out = new Array<number>(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = ids[bytes[i]];
    return out;
  };
}
