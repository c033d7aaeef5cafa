/**
 * The model's tokenizer, from tokenizer.json + tokenizer_config.json through @huggingface/tokenizers
 * (the implementation transformers.js uses). encode() adds no special tokens: calibration text is
 * "each document, then EOS, tokenized without special tokens" (LLM-Drop), and the caller appends EOS.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { ModelFiles } from './api';
import { byteLevelEncoder } from './byte-tokens';
import { ConfigError, MissingFileError } from './errors';
import { parseJsonObject, readJsonFile } from './files';
import { checkTokenizerJson } from './tokenizer-check';

export class Tokenizer {
  private readonly tok: HfTokenizer;
  /** The same ids without the library's BPE, for merge-free byte-level tokenizers (byte-tokens.ts); else null. */
  private readonly bytes: ((text: string) => number[] | null) | null;
  /** tokenizer_config.json's eos_token, else config.json's eos_token_id (first of a list); null if neither. */
  readonly eosTokenId: number | null;
  /** Highest token id + 1 (added tokens included). */
  readonly vocabSize: number;

  constructor(
    tokenizerJson: Record<string, unknown>,
    tokenizerConfig: Record<string, unknown> = {},
    opts: { eosTokenId?: number | null } = {},
  ) {
    checkTokenizerJson(tokenizerJson);
    try {
      this.tok = new HfTokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      // The library's own message, unless it is JavaScript's (a TypeError: a part it did not expect).
      const msg = e instanceof TypeError ? 'a part of it has an unexpected form' : (e as Error).message;
      throw new ConfigError(`tokenizer.json could not be loaded: ${msg}.`.replace(/\.\.$/, '.'), {
        file: 'tokenizer.json',
        cause: (e as Error).message,
      });
    }
    this.bytes = byteLevelEncoder(tokenizerJson);
    const vocab = this.tok.get_vocab(true);
    let max = -1;
    for (const id of vocab.values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const eosTok = tokenizerConfig.eos_token;
    const eosText = typeof eosTok === 'string' ? eosTok : (eosTok as { content?: unknown } | null | undefined)?.content;
    const fromTokenizer = typeof eosText === 'string' ? this.tok.token_to_id(eosText) : undefined;
    this.eosTokenId = fromTokenizer ?? opts.eosTokenId ?? null;
  }

  /** From the bytes of tokenizer.json and (optionally) tokenizer_config.json. */
  static fromBytes(
    tokenizerJson: Uint8Array,
    tokenizerConfig?: Uint8Array | null,
    opts: { eosTokenId?: number | null } = {},
  ): Tokenizer {
    return new Tokenizer(
      parseJsonObject(tokenizerJson, 'tokenizer.json'),
      tokenizerConfig ? parseJsonObject(tokenizerConfig, 'tokenizer_config.json') : {},
      opts,
    );
  }

  /**
   * From a model folder. `eosTokenId` (e.g. spec.eosTokenId) is used when tokenizer_config.json names no
   * EOS token. tokenizer.json missing -> MissingFileError (DropLab needs the fast-tokenizer file).
   */
  static async fromFiles(files: ModelFiles, opts: { eosTokenId?: number | null } = {}): Promise<Tokenizer> {
    if (!files.names().includes('tokenizer.json')) {
      throw new MissingFileError(
        'tokenizer.json is missing from the model folder. DropLab needs the fast-tokenizer file (tokenizer.json); models with only a sentencepiece tokenizer.model are not supported.',
        { file: 'tokenizer.json' },
      );
    }
    const json = await readJsonFile(files, 'tokenizer.json');
    const config = (await readJsonFile(files, 'tokenizer_config.json', true)) ?? {};
    return new Tokenizer(json, config, opts);
  }

  /** Token ids of `text`, without special tokens (no BOS/EOS added). */
  encode(text: string): number[] {
    return this.bytes?.(text) ?? this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * The tokens the tokenizer's own config puts before every text when special tokens are added (a BOS
   * for Llama-style post-processors), found by encoding one text both ways; usually [].
   */
  specialPrefix(): number[] {
    if (!this.prefixIds) {
      const plain = this.encode('a');
      const full = this.tok.encode('a', { add_special_tokens: true }).ids;
      let n = 0;
      while (n < full.length && !(full.length - n >= plain.length && plain.every((t, i) => full[n + i] === t))) n++;
      this.prefixIds = n < full.length ? full.slice(0, n) : [];
    }
    return [...this.prefixIds];
  }
  private prefixIds: number[] | null = null;

  /** Text of `ids`, special tokens included, no clean-up of spaces (exact inverse of encode for byte-level BPE). */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tok.decode([...ids], {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  /**
   * The text one token stands for in the middle of a text (for a per-token view): decoded after an
   * anchor token, so decoders that strip a leading space at the start of a text (sentencepiece-style)
   * do not hide it. A token holding only part of a UTF-8 character shows U+FFFD (use tokenStrings for
   * a sequence: it gives each character to the token that completes it).
   */
  tokenToString(id: number): string {
    return this.suffix(this.anchor(), id);
  }

  /**
   * Per-token texts of a sequence: each token decoded after the (up to) 3 tokens before it. A character
   * split over several tokens (a byte-level model, multi-byte UTF-8) belongs to the token holding its
   * last byte; the tokens before it get "" (the decoder's U+FFFD for an unfinished character is never
   * shown). `following`: the ids after the sequence (up to 3 are used), so that a character cut by the
   * end of the sequence is recognised as unfinished too. A byte sequence that is invalid whatever
   * follows still decodes to U+FFFD, as in the text.
   */
  tokenStrings(ids: readonly number[], following: readonly number[] = []): string[] {
    const all = [...ids, ...following];
    return ids.map((id, i) => {
      const start = Math.max(0, i - 3);
      const prefix = i === 0 ? this.anchor() : ids.slice(start, i);
      const ahead = all.slice(i + 1, i + 4);
      // The text that is final once `ahead` follows: trailing U+FFFD of an unfinished character drop out.
      const before = this.settled(prefix, [id, ...ahead]);
      const after = this.settled([...prefix, id], ahead);
      let p = 0;
      while (p < before.length && before[p] === after[p]) p++;
      return after.slice(p);
    });
  }

  /** decode(ids), cut where decode(ids + ahead) differs from it (an unfinished character at the end). */
  private settled(ids: readonly number[], ahead: readonly number[]): string {
    if (ids.length === 0) return '';
    const a = this.decode(ids);
    if (ahead.length === 0 || !a.endsWith('\uFFFD')) return a;
    const b = this.decode([...ids, ...ahead]);
    let p = 0;
    while (p < a.length && a[p] === b[p]) p++;
    return a.slice(0, p);
  }

  private anchor(): number[] {
    return this.eosTokenId === null ? [] : [this.eosTokenId];
  }

  private suffix(context: readonly number[], id: number): string {
    if (context.length === 0) return this.decode([id]);
    const a = this.decode(context);
    const b = this.decode([...context, id]);
    let p = 0;
    while (p < a.length && a[p] === b[p]) p++;
    return b.slice(p);
  }

  /** The vocabulary entry of a token (e.g. "Ġthe"), or undefined. */
  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}
