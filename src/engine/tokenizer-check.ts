/**
 * The shape of tokenizer.json checked before @huggingface/tokenizers reads it: the library assumes a
 * well-formed file and otherwise fails with JavaScript's own words ("Cannot convert undefined or null
 * to object", "... is not iterable"). Each check here names the part of the file that is wrong.
 */
import { ConfigError } from './errors';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(part: string, what: string): never {
  throw new ConfigError(`tokenizer.json is not a valid tokenizer file: ${part} ${what}.`, {
    file: 'tokenizer.json',
    part,
  });
}

/** ConfigError naming the part of tokenizer.json that a tokenizer cannot be built from. */
export function checkTokenizerJson(j: Record<string, unknown>): void {
  const model = j.model;
  if (!isObj(model)) fail('"model"', 'is missing or not an object');
  const type = model.type ?? (isObj(model.vocab) && Array.isArray(model.merges) ? 'BPE' : undefined);
  if (typeof type !== 'string') fail('"model.type"', 'is missing');
  if (type === 'BPE' || type === 'WordPiece' || type === 'WordLevel') {
    if (!isObj(model.vocab)) fail('"model.vocab"', `is missing or not an object of token -> id (model type ${type})`);
    for (const [tok, id] of Object.entries(model.vocab))
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        fail(
          `"model.vocab"`,
          `gives token ${JSON.stringify(tok).slice(0, 40)} the id ${JSON.stringify(id)}, not a whole number >= 0`,
        );
  }
  if (type === 'BPE' && model.merges !== undefined && !Array.isArray(model.merges))
    fail('"model.merges"', 'is not a list');
  if (type === 'Unigram' && !Array.isArray(model.vocab))
    fail('"model.vocab"', 'is missing or not a list of [piece, score] (model type Unigram)');
  const added = j.added_tokens;
  if (added !== undefined) {
    if (!Array.isArray(added)) fail('"added_tokens"', 'is not a list');
    for (const t of added)
      if (!isObj(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0)
        fail('"added_tokens"', 'holds an entry without a string "content" and a whole-number "id"');
  }
  for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'])
    if (j[k] !== undefined && j[k] !== null && !isObj(j[k])) fail(`"${k}"`, 'is not an object');
}
