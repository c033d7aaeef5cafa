/** droplab export: the pruned model as a transformers.js folder (ONNX with KV cache) + LLM-Drop config. */
import { resolve } from 'node:path';
import type { Flags } from '../args';
import { UsageError } from '../args';
import {
  type CliIo,
  type Command,
  DROP_ATTN_FLAG,
  DROP_MLP_FLAG,
  JSON_FLAG,
  MODEL_FLAG,
  QUIET_FLAG,
  SEQ_LEN_FLAG,
} from '../command';
import { describeDrop, int } from '../format';

const FORMATS = ['fp32', 'fp16', 'q8', 'q4'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the pruned model: ONNX (fp32/fp16/q8/q4, KV cache) for transformers.js + LLM-Drop config',
  synopsis:
    '--model DIR --out DIR [--drop-attn LIST] [--drop-mlp LIST] [--format fp32,fp16,q8,q4] [--quant rtn|gptq|awq] [--block-size 32|64|128] [--calib-text FILE] [--calib-windows N] [--heldout-windows N] [--seq-len N] [--act-order] [--awq-search sublayer|linear] [--no-clip] [--no-checkpoint] [--overwrite] [--json]',
  flags: [
    MODEL_FLAG,
    {
      name: 'out',
      kind: 'string',
      required: true,
      metavar: 'DIR',
      help: 'folder to create (refused if it exists, unless --overwrite)',
    },
    DROP_ATTN_FLAG,
    DROP_MLP_FLAG,
    {
      name: 'format',
      kind: 'string',
      default: 'fp32',
      metavar: 'LIST',
      help: 'comma-separated weight formats: fp32, fp16, q8, q4',
    },
    {
      name: 'quant',
      kind: 'choice',
      choices: ['rtn', 'gptq', 'awq'],
      default: 'rtn',
      help: 'how q4 weights are made: round-to-nearest, GPTQ or AWQ-style (the last two calibrate on --calib-text)',
    },
    {
      name: 'block-size',
      kind: 'choice',
      choices: ['32', '64', '128'],
      default: '32',
      help: 'q4 MatMulNBits block size',
    },
    {
      name: 'calib-text',
      kind: 'string',
      metavar: 'FILE',
      help: 'calibration text (GPTQ, AWQ) whose next windows also measure the q4 perplexity after export',
    },
    {
      name: 'calib-windows',
      kind: 'int',
      metavar: 'N',
      min: 1,
      max: 1 << 16,
      default: 32,
      help: 'calibration windows',
    },
    {
      name: 'heldout-windows',
      kind: 'int',
      metavar: 'N',
      min: 1,
      max: 1 << 16,
      default: 16,
      help: 'windows after the calibration ones that measure q4 vs fp32 perplexity',
    },
    { ...SEQ_LEN_FLAG, help: 'calibration window length in tokens' },
    { name: 'act-order', kind: 'bool', help: 'GPTQ: visit columns by decreasing Hessian diagonal' },
    {
      name: 'awq-search',
      kind: 'choice',
      choices: ['sublayer', 'linear'],
      default: 'sublayer',
      help: "AWQ: judge q/k/v and gate/up scales on the attention/MLP output (AWQ's way) or on each linear's own output",
    },
    { name: 'no-clip', kind: 'bool', help: 'AWQ: skip the clipping search per block (on by default)' },
    { name: 'no-checkpoint', kind: 'bool', help: 'skip the pruned safetensors checkpoint' },
    { name: 'overwrite', kind: 'bool', help: 'replace --out if it is an earlier export (or empty)' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
  details: [
    'The folder holds config.json (with drop_attn_list / drop_mlp_list and, for llama and mistral, the',
    "auto_map of LLM-Drop's modeling files), the tokenizer files, onnx/model.onnx (fp32), model_fp16.onnx,",
    'model_quantized.onnx (q8) and model_q4.onnx as asked, and model.safetensors with only the kept',
    'sublayers. It is written to a temporary folder (<out>.partial-<pid>-<random>) and renamed when',
    'complete: a failed or cancelled (Ctrl-C) export leaves nothing, and such folders left by a killed',
    'export are removed by the next one. --out may not be, contain or lie inside --model; --overwrite',
    'replaces only an empty folder or an earlier export. --quant gptq|awq calibrate q4 on the first',
    '--calib-windows windows of --calib-text (the pruned model, dropped sublayers removed first); the next',
    '--heldout-windows windows measure the q4 perplexity beside fp32. See docs/EXPORT.md.',
  ].join('\n'),
  async run(flags: Flags, io: CliIo) {
    const formats = String(flags.format)
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of formats) {
      if (!(FORMATS as readonly string[]).includes(f))
        throw new UsageError(`Unknown --format "${f}"; choose from ${FORMATS.join(', ')}.`, 'export');
    }
    const quant = String(flags.quant) as 'rtn' | 'gptq' | 'awq';
    const block = Number(flags['block-size']);
    const calibText = flags['calib-text'] as string | undefined;
    const calibrated = quant !== 'rtn' || block !== 32 || calibText !== undefined;
    if (calibrated && !formats.includes('q4'))
      throw new UsageError(
        '--quant, --block-size and --calib-text apply to the q4 format: add q4 to --format.',
        'export',
      );
    if (quant !== 'rtn' && !calibText)
      throw new UsageError(`--quant ${quant} needs --calib-text FILE to calibrate on.`, 'export');
    const [
      { folderFiles },
      { loadModelFromFiles },
      { exportModel, folderSink },
      { nodeFolderFs },
      { dropFromFlags },
      outDir,
    ] = await Promise.all([
      import('../node-files'),
      import('../../engine/model/load'),
      import('../../engine/export'),
      import('../node-fs'),
      import('../session'),
      import('../out-dir'),
    ]);
    const modelDir = resolve(io.cwd, flags.model as string);
    const out = resolve(io.cwd, flags.out as string);
    const files = folderFiles(modelDir);
    // Before anything is loaded or written: never into (or around) the model, --overwrite only of an
    // export, no special file system; then clear what interrupted exports to the same folder left.
    outDir.checkOutsideModel(out, modelDir);
    outDir.checkRegularFs(out);
    if (flags.overwrite) outDir.checkOverwritable(out);
    for (const p of outDir.cleanStalePartials(out)) io.err(`droplab: removed ${p}, left by an interrupted export.\n`);
    const model = await loadModelFromFiles(files, { name: modelDir });
    const q = calibrated ? await import('./export-quant') : null;
    let prepared: Awaited<ReturnType<NonNullable<typeof q>['prepareQ4']>> | null = null;
    const sink = folderSink(nodeFolderFs, out, {
      overwrite: Boolean(flags.overwrite),
      protect: [modelDir, outDir.realPathOrNearest(modelDir)],
      tempTag: `${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    });
    // Ctrl-C: stop at the next file or layer; exportModel's abort removes the temporary folder (exit 130).
    // A second Ctrl-C does not wait: the temporary folder is removed at once and the process exits. (One
    // Ctrl-C can arrive twice, from the terminal and relayed by npm: a repeat within 0.5 s is the same one.)
    const signal = { aborted: false };
    let firstAt = 0;
    const onSigint = () => {
      if (!signal.aborted) {
        signal.aborted = true;
        firstAt = Date.now();
        return;
      }
      if (Date.now() - firstAt < 500) return;
      outDir.removeNow(sink.tempDir);
      io.err('droplab: cancelled.\n');
      process.exit(130);
    };
    process.on('SIGINT', onSigint);
    let res: Awaited<ReturnType<typeof exportModel>>;
    try {
      // calibration and quantization first (Ctrl-C stops them too; nothing is written yet)
      if (q)
        prepared = await q.prepareQ4(model, files, flags, io, {
          quant,
          block,
          calibText: calibText ? resolve(io.cwd, calibText) : null,
          signal,
        });
      res = await exportModel(
        { model, files },
        {
          drop: dropFromFlags(flags),
          formats: formats as (typeof FORMATS)[number][],
          checkpoint: !flags['no-checkpoint'],
          signal,
          q4Plan: prepared?.plan,
          onProgress:
            flags.quiet || !io.errIsTTY
              ? undefined
              : (p) => io.err(`\rexport ${Math.round((100 * p.done) / Math.max(1, p.total))}%`),
        },
        sink,
      );
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    if (!flags.quiet && io.errIsTTY) io.err('\r\x1b[K');
    const measured = q && prepared ? await q.measureQ4(model, prepared, out, dropFromFlags(flags), flags) : null;
    if (flags.json) {
      io.out(`${JSON.stringify({ command: 'export', out, ...res, ...(measured ? { quant: measured } : {}) })}\n`);
      return 0;
    }
    const lines = [
      `exported ${modelDir} to ${out}`,
      `dropped  ${describeDrop(res.drop)}`,
      ...res.files.map((f) => `  ${f.path.padEnd(40)} ${int(f.size).padStart(14)} bytes`),
      `total    ${int(res.totalBytes)} bytes; LLM-Drop modeling files ${res.llmDropLoadable ? 'load it' : 'do not exist for this family'}`,
      ...res.warnings.map((w) => `warning  ${w}`),
      ...(measured && q ? q.quantLines(measured) : []),
    ];
    io.out(`${lines.join('\n')}\n`);
    return 0;
  },
};
