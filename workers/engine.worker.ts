/**
 * The engine worker: builds the Engine (src/engine/engine.ts) over onnxruntime-web (workers/ort-web.ts)
 * and exposes it to the page with comlink: EngineApi (src/engine/api.ts) passed through to the Engine,
 * plus EngineHostApi, the host glue only a worker has (backend start, fetching and caching model files,
 * reading a local folder, device-loss watch). The page's one proxy is src/app/worker-client.ts.
 *
 * - Backend: WebGPU on a hardware adapter, else wasm with the reason; `init({ backend })` can force either.
 * - Models: bundled (this app's server), Hugging Face Hub by id (Cache API, offline on a second visit),
 *   or a local folder's File objects. `inspect` reads config.json (and the shard index) only, so an
 *   unsupported family or a model too large for this device is refused before any weight is downloaded.
 * - Errors cross the boundary as SerializedError (plain objects); the page rebuilds them with
 *   errorFromJSON. Callbacks arrive as comlink proxies; the export's batches are transferred, not copied.
 */
import * as Comlink from 'comlink';
import {
  ENGINE_CALLS,
  type EngineApi,
  type EngineClient,
  type EngineHostApi,
  type InspectResult,
  type LoadProgress,
  type LoadResult,
  type ModelEstimate,
  type ModelSource,
  type Progress,
  type WorkerInit,
} from '../src/engine/api';
import { Engine } from '../src/engine/engine';
import { asDropLabError, CancelledError, RuntimeError } from '../src/engine/errors';
import { memoryFiles } from '../src/engine/files';
import { admit } from '../src/engine/model/admission';
import { bytesPerParamFromConfig, estimateModelSize } from '../src/engine/model/checkpoint';
import { readSpec } from '../src/engine/model/load';
import {
  bundledRemote,
  clearCached,
  CONFIG,
  DEFAULT_HUB,
  downloadFolder,
  type FetchEnv,
  GENERATION_CONFIG,
  checkHubToken,
  hubRemote,
  INDEX,
  localFolder,
  openRemoteFolder,
  type Remote,
  type RemoteFolder,
  syncBlobReader,
} from './model-files';
import { DeviceWatch } from './device-watch';
import { answerPings } from './heartbeat';
import { createRunQueue } from './ort-queue';
import { deviceLimits, type LoadedRuntime, loadRuntime, type ProbeResult, probeBackend } from './ort-web';
import { opfsWeightStore, type WeightStore } from './weight-store';

let init: WorkerInit | null = null;
let probe: ProbeResult | null = null;
let engine: Engine | null = null;
let downloads: AbortController | null = null;
/** Hub weight files on disk (the OPFS), opened in init(); null where there is none. */
let weights: WeightStore | null = null;
/** The Hub access token (setHubToken): in this worker's memory only, sent to the Hub origin only (model-files.ts). */
let hubToken: string | null = null;

/** The last inspected remote folder (its config is reused by loadModel). */
let inspected: { key: string; folder: RemoteFolder; estimate: ModelEstimate } | null = null;
/** The runtime (its WebGPU device is watched once sessions exist). */
let runtime: LoadedRuntime | null = null;
/** WebGPU device loss: every call fails with DeviceLostError from then on (device-watch.ts). */
const deviceWatch = new DeviceWatch();
let onDeviceLost: ((message: string) => void) | undefined;

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new RuntimeError(`The engine worker is not ready: ${what}.`);
  return v;
}

/**
 * Every method rejects with a plain SerializedError, which survives structured cloning. After a device
 * loss every call fails with the DeviceLostError (whatever the runtime threw instead).
 */
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    deviceWatch.check();
    return await fn();
  } catch (e) {
    throw (deviceWatch.lost ? deviceWatch.error() : asDropLabError(e)).toJSON();
  }
}

/** Once sessions exist on WebGPU, watch their device (ORT's getter gives it, or a promise of it). */
async function watchDevice(): Promise<void> {
  const device = await Promise.resolve()
    .then(() => runtime?.device?.())
    .catch(() => null);
  if (device && typeof (device.lost as Promise<unknown> | undefined)?.then === 'function')
    deviceWatch.watch(device, (message) => onDeviceLost?.(message));
}

/** The source without a local folder's File objects (what ModelInfo and the page keep). */
function sourceOf(input: ModelSource): ModelSource {
  if (input.kind === 'local') return { kind: 'local', name: input.name };
  return input.kind === 'hub'
    ? { kind: 'hub', id: input.id, ...(input.revision ? { revision: input.revision } : {}) }
    : { kind: 'bundled', name: input.name };
}

function remoteOf(input: ModelSource): Remote {
  const i = need(init, 'init() was not called');
  if (input.kind === 'hub')
    return hubRemote(i.hubEndpoint || DEFAULT_HUB, input.id, input.revision || 'main', hubToken);
  if (input.kind === 'bundled') return bundledRemote(i.baseUrl, input.name);
  throw new RuntimeError('A local folder has no remote.');
}

function inputKey(input: ModelSource): string {
  return input.kind === 'local' ? `local:${input.name}` : `${remoteOf(input).url(CONFIG)}${hubToken ? ' (token)' : ''}`;
}

function fetchEnv(): FetchEnv {
  downloads?.abort();
  downloads = new AbortController();
  return {
    fetch: self.fetch.bind(self),
    caches: 'caches' in self ? self.caches : null,
    signal: downloads.signal,
    readBlobRange: syncBlobReader(), // Hub weight files read by range from their cached Blobs
    weights, // or better, from files in the OPFS (weight-store.ts)
  };
}

function limits() {
  return deviceLimits(need(probe, 'init() was not called'));
}

async function estimateFor(
  files: { config: Uint8Array; generationConfig: Uint8Array | null; index: Uint8Array | null },
  storedBytes: number | null,
  fileList: string[],
  cached: boolean,
) {
  const map: Record<string, Uint8Array> = { [CONFIG]: files.config };
  if (files.generationConfig) map[GENERATION_CONFIG] = files.generationConfig;
  if (files.index) map[INDEX] = files.index;
  const { config, spec } = await readSpec(memoryFiles(map)); // UnsupportedArchitectureError, ConfigError
  const e = estimateModelSize(spec, { bytesPerParam: bytesPerParamFromConfig(config), totalSize: storedBytes });
  const lim = limits();
  // Admission per weight precision (issue 13), the rule the engine's loadModel applies too.
  const p = need(probe, 'init() was not called').report;
  const admission = admit(spec, {
    budgetBytes: lim.maxTotalBytes,
    maxBufferSize: lim.maxBufferBytes,
    wasm32: p.backend === 'wasm',
    f16: p.backend !== 'webgpu' || p.adapter.features.includes('shader-f16'),
  });
  const fits = admission.best !== null;
  const precisions = admission.estimates.map(({ precision, peakBytes, weightBytes, fits, over }) => ({
    precision,
    peakBytes,
    weightBytes,
    fits,
    over,
  }));
  const estimate: ModelEstimate = {
    parameters: e.parameters,
    float32Bytes: e.float32Bytes,
    storedBytes: e.storedBytes,
    largestTensorBytes: e.largestTensor.float32Bytes,
    limitBytes: lim.maxTotalBytes,
    maxBufferBytes: lim.maxBufferBytes ?? null,
    fits,
    precisions,
    best: admission.best,
    files: fileList,
    cached,
  };
  return { spec, estimate };
}

async function inspectRemote(input: ModelSource): Promise<InspectResult> {
  const folder = await openRemoteFolder(fetchEnv(), remoteOf(input), async (config, generationConfig) => {
    await estimateFor({ config, generationConfig, index: null }, null, [], false); // unsupported family, bad config
  });
  const { spec, estimate } = await estimateFor(folder, folder.weightBytes, [CONFIG, ...folder.files], folder.cached);
  inspected = { key: inputKey(input), folder, estimate };
  return { source: sourceOf(input), spec, estimate };
}

const host: EngineHostApi = {
  init: (opts, lost) =>
    wrap(async () => {
      init = opts;
      onDeviceLost = lost;
      probe = await probeBackend(opts.backend);
      weights = await opfsWeightStore();
      // One session run at a time in this worker: the engine's in the background lane, the generation and
      // speed panels' in the foreground (ort-queue.ts).
      const rt = await loadRuntime(probe);
      const queue = createRunQueue(rt.ort);
      runtime = rt;
      engine = new Engine({
        ort: queue.background,
        backend: rt.backend,
        executionProviders: rt.executionProviders,
        limits: deviceLimits(probe),
        f16: probe.report.backend !== 'webgpu' || probe.report.adapter.features.includes('shader-f16'),
        taskOrt: queue.foreground,
        exclusive: queue.exclusive,
        datasets: { hubEndpoint: opts.hubEndpoint || DEFAULT_HUB },
      });
      return probe.report;
    }),

  inspect: (input) =>
    wrap(async () => {
      if (input.kind === 'local') throw new RuntimeError('A local folder is inspected when it is loaded.');
      return inspectRemote(input);
    }),

  loadModel: (input, onProgress) =>
    wrap(async () => {
      const e = need(engine, 'the runtime did not start');
      const progress = (p: LoadProgress) => onProgress?.(p);
      const source = sourceOf(input);
      if (input.kind === 'local') {
        const local = input.files ?? [];
        const files = localFolder(local, input.name, progress);
        const info = await e.loadModel(source, files, (p: Progress) => progress(p));
        await watchDevice();
        const stored = local.reduce((n, f) => n + f.file.size, 0);
        const estimate: ModelEstimate = {
          parameters: info.parameters,
          float32Bytes: info.parameters * 4,
          storedBytes: stored,
          largestTensorBytes: 0,
          limitBytes: limits().maxTotalBytes,
          maxBufferBytes: limits().maxBufferBytes ?? null,
          fits: true,
          files: files.names(),
          cached: false,
        };
        return { ...info, estimate, fromCache: false } satisfies LoadResult;
      }
      const key = inputKey(input);
      if (!inspected || inspected.key !== key) await inspectRemote(input);
      const { folder, estimate } = inspected!;
      const { files, fromCache } = await downloadFolder(fetchEnv(), folder, progress);
      const info = await e.loadModel(source, files, (p: Progress) => progress(p));
      await watchDevice();
      return { ...info, estimate, fromCache } satisfies LoadResult;
    }),

  setWeightPrecision: (precision) =>
    wrap(async () => {
      need(engine, 'the runtime did not start').setWeightPrecision(precision ?? undefined);
    }),

  setHubToken: (token) =>
    wrap(async () => {
      hubToken = token === null || token.trim() === '' ? null : checkHubToken(token);
      inspected = null;
    }),

  clearCache: (input) =>
    wrap(async () => {
      if (input.kind === 'local') return;
      const remote = remoteOf(input);
      const env = fetchEnv();
      const files =
        inspected?.key === inputKey(input)
          ? inspected.folder.files
          : ['tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
      await clearCached(env, remote, files);
    }),
};

/**
 * EngineApi: every call in ENGINE_CALLS (src/engine/api.ts) goes to the Engine, its errors serialized;
 * the export's batches are transferred on their way, and cancel also stops downloads.
 */
const run = () => need(engine, 'no runtime');
const passed = Object.fromEntries(
  Object.keys(ENGINE_CALLS).map((name) => [
    name,
    (...args: unknown[]) =>
      wrap(() => (run() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](...args)),
  ]),
) as unknown as Omit<EngineApi, 'cancel'>;
const engineApi: EngineApi = {
  ...passed,
  // Each batch is a fresh buffer (src/engine/export/zip-batches.ts): transfer it rather than copy it.
  exportZip: (req, onChunks, onProgress) =>
    passed.exportZip(
      req,
      (chunks, final) =>
        onChunks(
          Comlink.transfer(
            chunks,
            chunks.map((c) => c.buffer),
          ),
          final,
        ),
      onProgress,
    ),
  cancel(task = 'analysis') {
    if (task === 'analysis') downloads?.abort(new CancelledError('Loading was cancelled.'));
    engine?.cancel(task);
  },
};

Comlink.expose({ ...host, ...engineApi } satisfies EngineClient);
// The page's watchdog pings while a call is in flight (src/app/worker-client.ts, worker-watchdog.ts).
answerPings(self as unknown as Parameters<typeof answerPings>[0]);
