/**
 * Reading a built-in task's split from the Hugging Face Hub's parquet conversion
 * (`refs/convert/parquet/<config>/<split>/NNNN.parquet`; the listing from the Hub's tree API) with
 * hyparquet, and JSONL tasks at a URL. `fetch` and the Hub's base URL are injected, so tests serve the
 * files from a local server and the worker can put its cache in front.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { DatasetError, TaskError } from '../errors';
import { BUILTIN, type Row } from './builtin';
import { parseTaskJsonl } from './jsonl';
import { BUILTIN_TASKS, type TaskItems, type TaskSpec } from './types';

/** What is used of a fetch Response (structural: the engine is compiled without the DOM library). */
export interface FetchResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type FetchFn = (url: string) => Promise<FetchResponse>;

export interface DatasetFetchOptions {
  /** Hub base URL (default https://huggingface.co). */
  hubEndpoint?: string;
  /** Default: the global fetch. */
  fetch?: FetchFn;
}

const PARQUET_REF = 'refs%2Fconvert%2Fparquet';

async function get(url: string, what: string, opts: DatasetFetchOptions): Promise<FetchResponse> {
  const f = opts.fetch ?? (globalThis as unknown as { fetch: FetchFn }).fetch;
  let res: FetchResponse;
  try {
    res = await f(url);
  } catch (e) {
    throw new DatasetError(
      `${what} could not be reached (${(e as Error).message}): check the connection, or use a task file from this computer.`,
      { url },
    );
  }
  if (!res.ok)
    throw new DatasetError(
      `${what} could not be read: ${url} answered ${res.status}${res.status === 401 || res.status === 404 ? ' (missing, private or gated)' : ''}.`,
      { url, status: res.status },
    );
  return res;
}

/** The parquet files of one config/split, in order (URLs). */
export async function parquetFiles(
  dataset: string,
  config: string,
  split: string,
  opts: DatasetFetchOptions = {},
): Promise<string[]> {
  const hub = (opts.hubEndpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const what = `The dataset ${dataset} (${config}, ${split})`;
  const res = await get(`${hub}/api/datasets/${dataset}/tree/${PARQUET_REF}/${config}/${split}`, what, opts);
  let list: unknown;
  try {
    list = await res.json();
  } catch {
    throw new DatasetError(`${what}: the Hub's file listing is not JSON.`, { dataset });
  }
  const paths = (Array.isArray(list) ? list : [])
    .map((e) => (e && typeof e === 'object' ? (e as { type?: unknown; path?: unknown }) : {}))
    .filter((e) => e.type === 'file' && typeof e.path === 'string' && e.path.endsWith('.parquet'))
    .map((e) => e.path as string)
    .sort();
  if (!paths.length) throw new DatasetError(`${what} has no parquet files on the Hub.`, { dataset, config, split });
  return paths.map((p) => `${hub}/datasets/${dataset}/resolve/${PARQUET_REF}/${p}`);
}

/** Rows of `columns` from one parquet file; TaskError naming a column the file lacks. */
export async function readParquetRows(bytes: Uint8Array, columns: string[], where: string): Promise<Row[]> {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let names: string[];
  try {
    names = parquetSchema(parquetMetadata(buf)).children.map((c) => c.element.name);
  } catch (e) {
    throw new TaskError(`${where} is not a parquet file DropLab can read (${(e as Error).message}).`, { file: where });
  }
  const missing = columns.filter((c) => !names.includes(c));
  if (missing.length)
    throw new TaskError(
      `${where} has no column "${missing[0]}" (it has ${names.map((n) => `"${n}"`).join(', ')}); the task needs ${columns.map((c) => `"${c}"`).join(', ')}.`,
      { file: where, column: missing[0] },
    );
  return (await parquetReadObjects({ file: buf, columns, rowFormat: 'object' })) as Row[];
}

/** A built-in task's items, read from the Hub. */
export async function loadBuiltinTask(name: string, opts: DatasetFetchOptions = {}): Promise<TaskItems> {
  if (!(BUILTIN_TASKS as readonly string[]).includes(name))
    throw new TaskError(`There is no built-in task "${name}"; the built-in tasks are ${BUILTIN_TASKS.join(', ')}.`, {
      name,
    });
  const def = BUILTIN[name as keyof typeof BUILTIN];
  const urls = await parquetFiles(def.dataset, def.config, def.split, opts);
  const rows: Row[] = [];
  for (const url of urls) {
    const res = await get(url, `The dataset ${def.dataset}`, opts);
    const file = url.slice(url.indexOf(PARQUET_REF) + PARQUET_REF.length + 1);
    rows.push(
      ...(await readParquetRows(new Uint8Array(await res.arrayBuffer()), def.columns, `${def.dataset} ${file}`)),
    );
  }
  return {
    name: def.name,
    kind: def.kind,
    delimiter: def.delimiter,
    ...(def.accNorm === false ? { accNorm: false } : {}),
    items: rows.map((r, i) => def.item(r, i)),
    source: `${def.dataset} (${def.config}, ${def.split}), ${rows.length} rows`,
  };
}

/** A TaskSpec resolved to items: a built-in task from the Hub, or a JSONL file at a URL. */
export async function loadTaskSpec(spec: TaskSpec, opts: DatasetFetchOptions = {}): Promise<TaskItems> {
  if (spec.kind === 'builtin') return loadBuiltinTask(spec.name, opts);
  const name = spec.name ?? spec.url.split('/').pop() ?? spec.url;
  const res = await get(spec.url, `The task file ${name}`, opts);
  return parseTaskJsonl(await res.text(), name, spec.url);
}
