/**
 * How robust the calibrated 4-bit results are on the bundled model (issue 16): `npx tsx
 * bench/quant-robust.ts [options]`, writes bench/results/quant-robust.json.
 *
 * Each text's first `--pool` windows (default 64) are the calibration pool; EVERY window after them is
 * held out (moby-dick 193 windows, 49,215 predicted tokens; sotu 382 windows, 97,410 tokens), the same
 * held-out windows for every calibration size. For each text, block size, calibration size (the first
 * 8, 32, 64 windows of the pool) and quantizer, the q4 graph's perplexity on the held-out windows is
 * compared with fp32's and RTN's; reported per text and pooled over both texts (each text's model
 * calibrated on its own text): perplexity, the gap to fp32 in absolute perplexity and in percent, the
 * share of RTN's gap closed, and a 95% interval of that share from a paired bootstrap over held-out
 * windows (2,000 resamples of the windows, the same resample for fp32, RTN and the method; seeded).
 * Per-window NLL sums are kept in the JSON (`perWindowNll`) so other statistics can be taken later.
 * onnxruntime-node CPU.
 *
 * Options: --texts moby-dick,sotu  --calib 8,32,64 (N: windows [0, N) of the pool; N@o: windows [o, o + N),
 *          keys `quant/block/N@o`: disjoint calibration sets of one size)  --blocks 32,128  --pool 64  --seq 256
 *          --methods gptq,awq,awq-no-clip (also gptq-fp32-inputs, 'gptq act-order', and AWQ recipe variants
 *          awq-duo, awq-both, awq-skip-o: QuantOptions awqScaling / awqSkipUnfoldable)  --heldout-max N (0 = all)
 *          --out FILE
 *          --reuse FILE (a previous run's JSON: scores and plans of the same text/key are taken from it,
 *          not recomputed; only valid while the code that made them is unchanged)  --reuse-only (with
 *          --reuse: what the file lacks is left out instead of measured)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderFiles } from '../src/cli/node-files';
import { ortNode } from '../src/cli/ort-node';
import { buildWindows, splitDocuments } from '../src/engine/data';
import { planQ4, type QuantOptions } from '../src/engine/export/calibrated';
import { buildKvGraph } from '../src/engine/export/graph';
import { scoreWindows } from '../src/engine/export/perplexity';
import { loadModelFromFiles } from '../src/engine/model/load';
import { mulberry32 } from '../src/engine/random';
import { Tokenizer } from '../src/engine/tokenizer';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const list = (s: string) => s.split(',').filter(Boolean);
const TEXTS: Record<string, string> = {
  'moby-dick': 'public/data/moby-dick-heldout.txt',
  sotu: 'public/data/sotu-heldout.txt',
};
const METHODS: Record<string, Omit<QuantOptions, 'block'>> = {
  gptq: { method: 'gptq' },
  'gptq-fp32-inputs': { method: 'gptq', gptqSequential: false },
  'gptq act-order': { method: 'gptq', actOrder: true },
  awq: { method: 'awq' },
  'awq-no-clip': { method: 'awq', clip: false },
  'awq-duo': { method: 'awq', awqScaling: 'duo' },
  'awq-both': { method: 'awq', awqScaling: 'both' },
  'awq-skip-o': { method: 'awq', awqSkipUnfoldable: true },
};
const texts = list(arg('texts', 'moby-dick,sotu'));
const blocks = list(arg('blocks', '32,128')).map(Number);
const methods = list(arg('methods', 'gptq,awq,awq-no-clip'));
const pool = Number(arg('pool', '64'));
const seq = Number(arg('seq', '256'));
const heldMax = Number(arg('heldout-max', '0'));
const out = arg('out', join(ROOT, 'bench/results/quant-robust.json'));
const reuse = arg('reuse', '');
const reuseOnly = process.argv.includes('--reuse-only');
/** Calibration sets: `N` = windows [0, N) of the pool, `N@o` = windows [o, o + N) (key tag the same). */
const sets = list(arg('calib', '8,32,64')).map((tag) => {
  const [calib, offset = 0] = tag.split('@').map(Number);
  return { calib, offset, tag: offset ? `${calib}@${offset}` : `${calib}` };
});
for (const t of texts) if (!TEXTS[t]) throw new Error(`--texts: unknown text ${t} (${Object.keys(TEXTS).join(', ')})`);
for (const m of methods)
  if (!METHODS[m]) throw new Error(`--methods: unknown ${m} (${Object.keys(METHODS).join(', ')})`);
for (const { calib, offset, tag } of sets)
  if (!(calib > 0) || offset + calib > pool)
    throw new Error(`--calib ${tag} is not inside the pool of ${pool} windows`);

/** Per-window NLL sums of one model on one text's held-out windows. */
type Nll = number[];
interface Scored {
  fp32: Nll;
  rtn: Nll;
  q: Nll;
}

const ppl = (nll: Nll, idx: readonly number[], perWindow: number) => {
  let s = 0;
  for (const i of idx) s += nll[i];
  return Math.exp(s / (idx.length * perWindow));
};
const closedOf = (s: Scored, idx: readonly number[], perWindow: number) => {
  const f = ppl(s.fp32, idx, perWindow);
  return 1 - (ppl(s.q, idx, perWindow) - f) / (ppl(s.rtn, idx, perWindow) - f);
};

/**
 * Share of RTN's gap closed over windows of one or more texts (pooled: every text's windows together,
 * one perplexity over all their tokens), with a paired bootstrap 95% interval (resampling windows
 * within each text).
 */
function summarize(parts: Scored[], perWindow: number, seed: number) {
  const cat = (k: keyof Scored) => parts.flatMap((p) => p[k]);
  const all: Scored = { fp32: cat('fp32'), rtn: cat('rtn'), q: cat('q') };
  const sizes = parts.map((p) => p.fp32.length);
  const idx = Array.from({ length: all.fp32.length }, (_, i) => i);
  const fp32 = ppl(all.fp32, idx, perWindow);
  const rtn = ppl(all.rtn, idx, perWindow);
  const q = ppl(all.q, idx, perWindow);
  const r = mulberry32(seed);
  const boots: number[] = [];
  for (let b = 0; b < 2000; b++) {
    const pick: number[] = [];
    let off = 0;
    for (const n of sizes) {
      for (let i = 0; i < n; i++) pick.push(off + Math.floor(r() * n));
      off += n;
    }
    boots.push(closedOf(all, pick, perWindow));
  }
  boots.sort((a, b) => a - b);
  return {
    heldoutWindows: idx.length,
    heldoutTokens: idx.length * perWindow,
    fp32Perplexity: fp32,
    rtnPerplexity: rtn,
    perplexity: q,
    rtnGap: rtn - fp32,
    gap: q - fp32,
    rtnGapPercent: 100 * (rtn / fp32 - 1),
    gapPercent: 100 * (q / fp32 - 1),
    rtnGapClosedPercent: 100 * (1 - (q - fp32) / (rtn - fp32)),
    closedCi95Percent: [100 * boots[Math.floor(0.025 * boots.length)], 100 * boots[Math.floor(0.975 * boots.length)]],
  };
}

async function main() {
  const dir = join(ROOT, 'public/models/droplab-byte-12l');
  const files = folderFiles(dir);
  const model = await loadModelFromFiles(files);
  const tok = await Tokenizer.fromFiles(files);
  const { spec, weights } = model;
  const drop = { attn: [], mlp: [] };
  const ort = ortNode;
  const score = async (onnx: Uint8Array, windows: Int32Array): Promise<Nll> => {
    const nll: Nll = [];
    await scoreWindows(ort, onnx, spec, drop, windows, seq, undefined, { onWindow: (_d, _n, s) => nll.push(s) });
    return nll;
  };
  const perWindowNll: Record<string, Record<string, Nll>> = {};
  const rows: Record<string, unknown>[] = [];
  const plans: Record<string, unknown>[] = [];
  const prev: {
    perWindowNll: Record<string, Record<string, Nll>>;
    plans: { text: string; block: number; calib: number; quant: string; offset?: number }[];
  } = reuse ? JSON.parse(readFileSync(reuse, 'utf8')) : { perWindowNll: {}, plans: [] };
  const heldInfo: Record<string, unknown> = {};
  const save = () => {
    mkdirSync(dirname(out), { recursive: true });
    const round = (o: Record<string, Record<string, Nll>>) =>
      Object.fromEntries(
        Object.entries(o).map(([t, m]) => [
          t,
          Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.map((x) => Number(x.toFixed(4)))])),
        ]),
      );
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          model: 'droplab-byte-12l',
          seqLen: seq,
          calibrationPool: pool,
          heldout: heldInfo,
          drop,
          bootstrap: 'paired, 2000 resamples of held-out windows (within each text), 95% percentile interval',
          machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
          runtime: 'onnxruntime-node CPU',
          rows,
          plans,
          perWindowNll: round(perWindowNll),
        },
        null,
        2,
      )}\n`,
    );
  };

  for (const text of texts) {
    const raw = readFileSync(join(ROOT, TEXTS[text]), 'utf8');
    const w = buildWindows(splitDocuments(raw), (s) => tok.encode(s), spec.eosTokenId ?? 0, seq, 1 << 20);
    const last = heldMax > 0 ? Math.min(w.windows, pool + heldMax) : w.windows;
    const heldout = w.ids.slice(pool * seq, last * seq);
    heldInfo[text] = { file: TEXTS[text], windows: `${pool}..${last - 1}`, tokens: (last - pool) * (seq - 1) };
    const nll: Record<string, Nll> = {};
    perWindowNll[text] = nll;
    const old = prev.perWindowNll[text] ?? {};
    nll.fp32 = old.fp32 ?? (await score(buildKvGraph(spec, weights, drop, 'fp32').build(), heldout));
    console.log(
      `${text}: fp32 on ${last - pool} held-out windows, ppl ${ppl(
        nll.fp32,
        nll.fp32.map((_, i) => i),
        seq - 1,
      ).toFixed(4)}`,
    );
    for (const block of blocks) {
      const rtn = await planQ4(spec, weights, drop, { method: 'rtn', block }, null);
      nll[`rtn/${block}`] =
        old[`rtn/${block}`] ?? (await score(buildKvGraph(spec, weights, drop, 'q4', { q4: rtn }).build(), heldout));
      for (const { calib, offset, tag } of sets)
        for (const m of methods) {
          const key = `${m}/${block}/${tag}`;
          const id = { text, block, calib, ...(offset ? { offset } : {}), quant: m };
          const was = prev.plans.find(
            (p) =>
              p.text === text && p.block === block && p.calib === calib && p.quant === m && (p.offset ?? 0) === offset,
          );
          if (old[key] && was) {
            nll[key] = old[key];
            plans.push(was);
            rows.push({ ...id, ...summarize([{ fp32: nll.fp32, rtn: nll[`rtn/${block}`], q: nll[key] }], seq - 1, 1) });
            continue;
          }
          if (reuseOnly) continue;
          const t0 = performance.now();
          const plan = await planQ4(
            spec,
            weights,
            drop,
            { ...METHODS[m], block },
            { ort, windows: w.ids.slice(offset * seq, (offset + calib) * seq), seqLen: seq },
          );
          const planMs = Math.round(performance.now() - t0);
          nll[key] = await score(buildKvGraph(spec, weights, drop, 'q4', { q4: plan }).build(), heldout);
          plans.push({ ...id, planMs, alphas: plan.alphas });
          const s = summarize([{ fp32: nll.fp32, rtn: nll[`rtn/${block}`], q: nll[key] }], seq - 1, 1);
          rows.push({ ...id, ...s });
          console.log(
            `${text} block ${block} calib ${tag} ${m.padEnd(12)} ppl ${s.perplexity.toFixed(4)} (fp32 ${s.fp32Perplexity.toFixed(4)}, rtn ${s.rtnPerplexity.toFixed(4)}) gap ${s.gap.toFixed(4)} (${s.gapPercent.toFixed(3)}%) closed ${s.rtnGapClosedPercent.toFixed(1)}% [${s.closedCi95Percent.map((x) => x.toFixed(1)).join(', ')}]  plan ${(planMs / 1000).toFixed(1)} s`,
          );
          save();
        }
    }
  }
  // pooled over the texts: every text's held-out windows together
  if (texts.length > 1)
    for (const block of blocks)
      for (const { calib, offset, tag } of sets)
        for (const m of methods) {
          const parts = texts.map((t) => ({
            fp32: perWindowNll[t].fp32,
            rtn: perWindowNll[t][`rtn/${block}`],
            q: perWindowNll[t][`${m}/${block}/${tag}`],
          }));
          if (parts.some((p) => !p.q)) continue; // --reuse-only and not measured on every text
          const s = summarize(parts, seq - 1, 2);
          rows.push({ text: 'pooled', block, calib, ...(offset ? { offset } : {}), quant: m, ...s });
          console.log(
            `pooled block ${block} calib ${tag} ${m.padEnd(12)} gap ${s.gapPercent.toFixed(3)}% (rtn ${s.rtnGapPercent.toFixed(3)}%) closed ${s.rtnGapClosedPercent.toFixed(1)}% [${s.closedCi95Percent.map((x) => x.toFixed(1)).join(', ')}]`,
          );
        }
  save();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
