/**
 * Text generation in the workbench: the full and the pruned model generating from the same prompt,
 * interleaved token by token, with the export's own decoding loop (greedyGenerate) on the KV-cache
 * decoders of kv-sessions.ts.
 */
import type { GenerateEvent, GenerateRequest, GenerationModel, GenerationRun, GenerationStop } from '../api';
import { greedyGenerate } from '../export';
import type { LoadedModel } from '../model/load';
import { mulberry32 } from '../random';
import type { Tokenizer } from '../tokenizer';
import type { TimedDecoder } from './kv-sessions';

/**
 * The continuation's text: decode(prompt + ids) minus decode(prompt) when that is a prefix (so tokenizers
 * that treat a word-initial space specially keep it), else decode(ids). While streaming (`partial`), a
 * trailing U+FFFD (part of a UTF-8 character still to come) is held back.
 */
export function continuationText(
  tok: Pick<Tokenizer, 'decode'>,
  prompt: readonly number[],
  ids: readonly number[],
  partial: boolean,
): string {
  if (ids.length === 0) return '';
  const head = tok.decode(prompt);
  const all = tok.decode([...prompt, ...ids]);
  let text = all.startsWith(head) ? all.slice(head.length) : tok.decode(ids);
  if (partial) text = text.replace(/\uFFFD+$/, '');
  return text;
}

/** The EOS ids generation stops at: the tokenizer's, else the model config's. */
export function eosIds(tok: Pick<Tokenizer, 'eosTokenId'>, model: Pick<LoadedModel, 'spec'>): number[] {
  const id = tok.eosTokenId ?? model.spec.eosTokenId;
  return id === null || id === undefined ? [] : [id];
}

/** Clamp a request to what the model can take (positions of a learned-position model, at least one token). */
export function checkGenerateRequest(
  req: GenerateRequest,
  promptTokens: number,
  maxPositions: number | null,
): GenerateRequest {
  if (promptTokens === 0) throw new RangeError('The prompt is empty: type at least one character to generate from.');
  const room = maxPositions === null ? Number.POSITIVE_INFINITY : maxPositions - promptTokens;
  if (room < 1)
    throw new RangeError(
      `The prompt is ${promptTokens} tokens, and this model has ${maxPositions} positions: shorten the prompt.`,
    );
  return { ...req, maxNewTokens: Math.max(1, Math.min(Math.floor(req.maxNewTokens), room)) };
}

export interface SideBySideOptions {
  tokenizer: Pick<Tokenizer, 'decode'>;
  promptIds: number[];
  request: GenerateRequest;
  eos: number[];
  decoders: Record<GenerationModel, TimedDecoder>;
  onEvent(e: GenerateEvent): void;
  cancelled(): boolean;
  now?: () => number;
}

/**
 * Both models generate from the same prompt with the same settings, interleaved step by step (each with
 * its own sampler seeded alike), through the export's own decoding loop (greedyGenerate). Each new token
 * is reported at once. Timings are the session-run time of each model alone.
 */
export async function generateSideBySide(o: SideBySideOptions): Promise<Record<GenerationModel, GenerationRun>> {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const one = async (model: GenerationModel): Promise<GenerationRun> => {
    const td = o.decoders[model];
    td.reset();
    const ids: number[] = [];
    let prefillMs = 0;
    let firstTokenMs: number | undefined;
    let stop: GenerationStop = 'length';
    await greedyGenerate(td.dec, o.promptIds, o.request.maxNewTokens, {
      temperature: o.request.temperature,
      topK: o.request.topK > 0 ? o.request.topK : undefined,
      random: mulberry32(o.request.seed), // seeded, so a sampled run can be repeated
      eosTokenId: o.eos,
      onToken: (id) => {
        ids.push(id);
        if (ids.length === 1) {
          prefillMs = td.runMs();
          firstTokenMs = now() - t0;
        }
        if (o.eos.includes(id)) stop = 'eos';
        const last = stop === 'eos' || ids.length >= o.request.maxNewTokens;
        const cancelled = !last && o.cancelled();
        if (cancelled) stop = 'cancelled';
        o.onEvent({
          model,
          ids: [...ids],
          text: continuationText(o.tokenizer, o.promptIds, ids, !(last || cancelled)),
          done: last || cancelled,
          ...(last || cancelled ? { stop } : {}),
          firstTokenMs,
          elapsedMs: now() - t0,
        });
        return cancelled ? false : undefined;
      },
    });
    const decodeMs = td.runMs() - prefillMs;
    return {
      ids,
      text: continuationText(o.tokenizer, o.promptIds, ids, false),
      stop,
      prefillMs,
      decodeMs,
      decodeTokensPerS: ids.length > 1 && decodeMs > 0 ? ((ids.length - 1) / decodeMs) * 1000 : null,
      cachedLayers: td.dec.layout.layers.length,
    };
  };
  const [full, pruned] = await Promise.all([one('full'), one('pruned')]);
  return { full, pruned };
}
