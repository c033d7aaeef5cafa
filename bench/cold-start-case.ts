/**
 * One bench:cold-start measurement in a fresh process (bench/cold-start.ts starts it), printed as one JSON line.
 * Every time is taken twice: wall clock and this process's CPU time (user + system, all threads), from
 * after the imports to the end of the first result.
 *
 *   tsx bench/cold-start-case.ts droplab <model dir> <analyze|evaluate> <text file> <seqLen> <windows> <threads>
 *   tsx bench/cold-start-case.ts tjs <models root> <model name> <ids.json> <threads>
 *
 * droplab: nodeEngine (src/cli/ort-node.ts) loadModel of the folder, setText, then the first analyze()
 * (the heatmap's data) or evaluate() (perplexity only). The runtime is wrapped to count and time
 * session creation and runs, and the folder's ModelFiles to time file reading; graph building is what
 * is left of loadModel (it also holds the tokenizer's parse and the admission check).
 * tjs: @huggingface/transformers AutoModelForCausalLM.from_pretrained of the exported fp32 folder, then
 * one forward over the same windows' ids ([windows, seqLen], attention mask of ones).
 */
import { readFileSync } from 'node:fs';

type Clock = { wall: number; cpu: number };
const now = (): Clock => {
  const u = process.resourceUsage();
  return { wall: performance.now(), cpu: (u.userCPUTime + u.systemCPUTime) / 1000 };
};
const since = (a: Clock, b: Clock = now()) => ({ wall: round(b.wall - a.wall), cpu: round(b.cpu - a.cpu) });
const round = (x: number) => Math.round(x * 10) / 10;

/** Adds up the time spent inside the calls it wraps (they never overlap: the engine awaits each). */
class Meter {
  wall = 0;
  cpu = 0;
  count = 0;
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const a = now();
    try {
      return await fn();
    } finally {
      const b = now();
      this.wall += b.wall - a.wall;
      this.cpu += b.cpu - a.cpu;
      this.count++;
    }
  }
  timeSync<T>(fn: () => T): T {
    const a = now();
    try {
      return fn();
    } finally {
      const b = now();
      this.wall += b.wall - a.wall;
      this.cpu += b.cpu - a.cpu;
      this.count++;
    }
  }
  get json() {
    return { count: this.count, wall: round(this.wall), cpu: round(this.cpu) };
  }
}

async function droplab(dir: string, mode: string, textFile: string, seqLen: number, windows: number, threads: number) {
  const t0 = now();
  const { folderFiles } = await import('../src/cli/node-files');
  const { nodeEngine, ortNode } = await import('../src/cli/ort-node');
  const { splitDocuments } = await import('../src/engine/data');
  type Ort = typeof ortNode;
  const importMs = since(t0);
  const text = splitDocuments(readFileSync(textFile, 'utf8'));

  const files = new Meter();
  const create = new Meter();
  const run = new Meter();
  const f = folderFiles(dir);
  const timedFiles: typeof f = {
    names: () => f.names(),
    size: f.size && ((n) => (f.size as (n: string) => number)(n)),
    read: (n) => files.time(() => f.read(n)),
    readRange:
      f.readRange && ((n, a, b) => files.timeSync(() => (f.readRange as NonNullable<typeof f.readRange>)(n, a, b))),
  };
  // Concurrent creations (if the engine overlaps them) would be counted once each, wall-clock overlapping.
  const ort: Ort = {
    Tensor: ortNode.Tensor,
    InferenceSession: {
      async create(bytes, opts) {
        const s = await create.time(() => ortNode.InferenceSession.create(bytes, opts));
        return {
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          release: () => s.release(),
          run: (feeds, fetches) => run.time(() => s.run(feeds, fetches)),
        };
      },
    },
  };
  const engine = nodeEngine({ ort, sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
  const a = now();
  await engine.loadModel({ kind: 'local', name: dir }, timedFiles);
  const loadMs = since(a);
  const createInLoad = create.json;
  const b = now();
  await engine.setText(text, { seqLen, windows });
  const setTextMs = since(b);
  const c = now();
  const none = { attn: [], mlp: [] };
  const perplexity =
    mode === 'analyze' ? (await engine.analyze(none)).eval.perplexity : (await engine.evaluate(none)).perplexity;
  const firstMs = since(c);
  const totalMs = since(a);
  const u = process.resourceUsage();
  console.log(
    JSON.stringify({
      tool: 'droplab',
      mode,
      importMs,
      loadMs,
      setTextMs,
      firstMs,
      totalMs,
      breakdown: {
        fileRead: files.json,
        graphBuildAndRest: {
          wall: round(loadMs.wall - files.wall - createInLoad.wall),
          cpu: round(loadMs.cpu - files.cpu - createInLoad.cpu),
        },
        sessionCreate: createInLoad,
        sessionCreateAfterLoad: { count: create.count - createInLoad.count },
        run: run.json,
      },
      minorPageFaults: u.minorPageFault,
      maxRssMiB: Math.round(u.maxRSS / 1024),
      perplexity,
    }),
  );
  await engine.dispose();
}

async function tjs(root: string, name: string, idsFile: string, threads: number) {
  const t0 = now();
  const { AutoModelForCausalLM, env, Tensor } = await import('@huggingface/transformers');
  const importMs = since(t0);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  env.useFSCache = false;
  env.useBrowserCache = false;
  const { ids, windows, seqLen } = JSON.parse(readFileSync(idsFile, 'utf8')) as {
    ids: number[];
    windows: number;
    seqLen: number;
  };
  const inputIds = BigInt64Array.from(ids, (v) => BigInt(v));
  const a = now();
  const model = await AutoModelForCausalLM.from_pretrained(name, {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  const loadMs = since(a);
  const b = now();
  const out = (await model({
    input_ids: new Tensor('int64', inputIds, [windows, seqLen]),
    attention_mask: new Tensor('int64', new BigInt64Array(windows * seqLen).fill(1n), [windows, seqLen]),
  })) as { logits: { dims: number[] } };
  const firstMs = since(b);
  const totalMs = since(a);
  const u = process.resourceUsage();
  console.log(
    JSON.stringify({
      tool: 'transformers.js',
      mode: 'forward',
      importMs,
      loadMs,
      firstMs,
      totalMs,
      logits: out.logits.dims,
      minorPageFaults: u.minorPageFault,
      maxRssMiB: Math.round(u.maxRSS / 1024),
    }),
  );
  await model.dispose();
}

const [tool, ...args] = process.argv.slice(2);
const main =
  tool === 'droplab'
    ? droplab(args[0], args[1], args[2], Number(args[3]), Number(args[4]), Number(args[5]))
    : tool === 'tjs'
      ? tjs(args[0], args[1], args[2], Number(args[3]))
      : Promise.reject(new Error(`unknown tool ${tool}: droplab or tjs`));
main.catch((e) => {
  console.error(e);
  process.exit(1);
});
