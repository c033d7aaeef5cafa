/** droplab tasks: multiple-choice accuracy (lm-eval style) with sublayers dropped. */
import type { Flags } from '../args';
import {
  type CliIo,
  type Command,
  DEVICE_FLAG,
  DROP_ATTN_FLAG,
  DROP_MLP_FLAG,
  FORCE_THREADS_FLAG,
  JSON_FLAG,
  MODEL_FLAG,
  QUIET_FLAG,
  RESULT_OUT_FLAG,
  THREADS_FLAG,
} from '../command';

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'multiple-choice task accuracy (acc, acc_norm) with attention/MLP sublayers dropped',
  synopsis:
    '--model DIR --task FILE.jsonl|NAME [--limit N] [--seed S] [--drop-attn LIST] [--drop-mlp LIST] [--hub URL] [--device cpu|webgpu] [--json] [--out FILE]',
  flags: [
    MODEL_FLAG,
    {
      name: 'task',
      kind: 'string',
      metavar: 'FILE|NAME',
      required: true,
      help: 'a JSONL file ({"context", "choices", "gold"} a line) or a built-in task: arc_easy, arc_challenge, piqa, hellaswag, winogrande, boolq, openbookqa, lambada_openai',
    },
    { name: 'limit', kind: 'int', metavar: 'N', min: 1, max: 1 << 24, help: 'score N items (default all)' },
    {
      name: 'seed',
      kind: 'int',
      metavar: 'S',
      min: 0,
      max: 0xffffffff,
      help: 'with --limit: a seeded random subsample instead of the first N',
    },
    DROP_ATTN_FLAG,
    DROP_MLP_FLAG,
    {
      name: 'hub',
      kind: 'string',
      metavar: 'URL',
      help: 'Hugging Face Hub base URL for built-in tasks (default $HF_ENDPOINT or https://huggingface.co)',
    },
    { name: 'items', kind: 'bool', help: 'list every item (log-likelihoods, prediction) in the text output' },
    DEVICE_FLAG,
    THREADS_FLAG,
    FORCE_THREADS_FLAG,
    JSON_FLAG,
    RESULT_OUT_FLAG,
    QUIET_FLAG,
  ],
  details: [
    'Scored as lm-evaluation-harness scores multiple choice: the log-likelihood of each choice appended to',
    'the context, summed over its tokens; acc = the most likely choice is right; acc_norm divides by the',
    "choice's length in characters. Built-in tasks use lm-eval's prompts and are read from the Hub's parquet",
    "files; JSONL choices are appended as given. Standard errors are lm-eval's (sample stddev / sqrt(n)).",
    'Contexts longer than the model window are cut on the left and counted. See docs/TASKS.md.',
  ].join('\n'),
  async run(flags: Flags, io: CliIo) {
    const { readFileSync, statSync } = await import('node:fs');
    const { basename, resolve } = await import('node:path');
    const { UsageError } = await import('../args');
    const { folderFiles } = await import('../node-files');
    const { nodeEngine, threads } = await import('../ort-node');
    const { deviceError, dropFromFlags, progressLine, threadsFromFlags } = await import('../session');
    const { emitJson, wantsJson } = await import('../result-json');
    const { BUILTIN_TASKS } = await import('../../engine/tasks/types');
    const { parseTaskJsonl } = await import('../../engine/tasks/jsonl');
    const { loadBuiltinTask } = await import('../../engine/tasks/hub-dataset');
    const { describeDrop, int } = await import('../format');

    const n = threadsFromFlags(flags);
    const modelDir = resolve(io.cwd, flags.model as string);
    const taskArg = flags.task as string;
    const path = resolve(io.cwd, taskArg);
    const isFile = (() => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    })();
    const builtin = (BUILTIN_TASKS as readonly string[]).includes(taskArg);
    if (!isFile && !builtin)
      throw new UsageError(
        /\.jsonl?$/i.test(taskArg)
          ? `--task ${taskArg}: no such file.`
          : `--task ${taskArg} is neither a file nor a built-in task (${BUILTIN_TASKS.join(', ')}).`,
      );
    if (flags.seed !== undefined && flags.limit === undefined)
      throw new UsageError('--seed picks a random subsample of --limit items: give --limit N too.');
    const files = folderFiles(modelDir);
    const hub = (flags.hub as string | undefined) ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co';
    const task = isFile
      ? parseTaskJsonl(readFileSync(path, 'utf8'), basename(path), path)
      : await loadBuiltinTask(taskArg, { hubEndpoint: hub });
    const device = (flags.device as 'cpu' | 'webgpu' | 'cuda' | undefined) ?? 'cpu';
    const engine = nodeEngine({ ...(n ? threads(n) : {}) }, device);
    const { report, clear } = progressLine(io, flags.quiet === true);
    const onSigint = () => engine.cancel();
    process.once('SIGINT', onSigint);
    try {
      const info = await engine.loadModel({ kind: 'local', name: basename(modelDir) }, files, report).catch((e) => {
        throw deviceError(e, device);
      });
      const opts = {
        ...(flags.limit !== undefined ? { limit: flags.limit as number } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed as number } : {}),
      };
      const r = await engine.scoreTask(task, dropFromFlags(flags), opts, report);
      clear();
      if (wantsJson(flags)) {
        await emitJson(io, flags, {
          command: 'tasks',
          model: { name: info.name, path: modelDir, family: info.spec.family, layers: info.spec.numLayers },
          task: { name: r.task, kind: r.kind, source: r.source, path: isFile ? path : null },
          selection: r.selection,
          drop: r.drop,
          n: r.n,
          acc: r.acc,
          acc_stderr: r.accStderr,
          acc_norm: r.accNorm,
          acc_norm_stderr: r.accNormStderr,
          ...(r.kind === 'lambada'
            ? { perplexity: r.perplexity, perplexity_stderr: r.perplexityStderr, bootstrap_iters: r.bootstrapIters }
            : {}),
          truncated: r.truncated,
          window: r.window,
          requests: r.requests,
          sequences: r.sequences,
          forward_tokens: r.forwardTokens,
          device,
          ms: r.ms,
          items: r.items.map((x) => ({
            index: x.index,
            loglik: x.loglik,
            gold: x.gold,
            pred: x.pred,
            correct: x.correct,
            ...(x.predNorm !== undefined ? { pred_norm: x.predNorm } : {}),
            ...(x.greedy !== undefined ? { greedy: x.greedy } : {}),
            ...(x.truncated ? { truncated: true } : {}),
          })),
        });
        return 0;
      }
      const pct = (x: number | null, se: number | null) =>
        x === null
          ? 'n/a'
          : `${(100 * x).toFixed(1)}% ± ${se === null || Number.isNaN(se) ? 'n/a' : (100 * se).toFixed(1)}`;
      const sel = r.selection;
      const lines = [
        `model  ${info.name} (${info.spec.family}, ${info.spec.numLayers} layers) on ${info.backend.detail}`,
        `task   ${r.task} (${r.kind}): ${r.source}; ${sel.mode === 'sample' ? `${int(sel.n)} of ${int(sel.total)} items, seeded sample (seed ${sel.seed})` : sel.mode === 'first' ? `the first ${int(sel.n)} of ${int(sel.total)} items` : `all ${int(sel.total)} items`}`,
        `dropped ${describeDrop(r.drop)}`,
        `acc      ${pct(r.acc, r.accStderr)}  (standard error; n = ${int(r.n)})`,
        ...(r.accNorm !== null ? [`acc_norm ${pct(r.accNorm, r.accNormStderr)}`] : []),
        ...(r.perplexity !== null
          ? [`perplexity ${r.perplexity.toFixed(3)} ± ${(r.perplexityStderr ?? Number.NaN).toFixed(3)} (bootstrap)`]
          : []),
        `${int(r.requests)} requests, ${int(r.sequences)} sequences run (${int(r.forwardTokens)} tokens); ${int(r.truncated)} truncated to the ${r.window}-token window`,
      ];
      if (flags.items)
        for (const x of r.items)
          lines.push(
            `  #${x.index} gold ${x.gold} pred ${x.pred} ${x.correct ? 'right' : 'wrong'}  loglik ${x.loglik.map((v) => v.toFixed(3)).join(' ')}`,
          );
      io.out(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      clear();
      process.removeListener('SIGINT', onSigint);
      await engine.dispose();
    }
  },
};
