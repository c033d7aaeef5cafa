/**
 * Parquet files in the layout of the Hugging Face Hub's parquet conversion, served from a local HTTP
 * server (tests of src/engine/tasks/hub-dataset.ts): the tree API
 * `/api/datasets/<owner>/<name>/tree/refs%2Fconvert%2Fparquet/<config>/<split>` lists the files and
 * `/datasets/<owner>/<name>/resolve/refs%2Fconvert%2Fparquet/<config>/<split>/<file>` serves them.
 * Columns are written with real parquet nesting (LIST of strings, STRUCT of lists), as the Hub's are.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type Column =
  | { name: string; kind: 'string'; data: string[] }
  | { name: string; kind: 'int64'; data: bigint[] }
  | { name: string; kind: 'list'; data: string[][] }
  | { name: string; kind: 'choices'; data: { text: string[]; label: string[] }[] };

const str = (name: string) => ({
  name,
  type: 'BYTE_ARRAY' as const,
  converted_type: 'UTF8' as const,
  repetition_type: 'OPTIONAL' as const,
});
const list = (name: string) => [
  { name, repetition_type: 'OPTIONAL' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  str('element'),
];

/** A snappy-compressed parquet file of these columns. */
export function writeParquet(columns: Column[]): Uint8Array {
  const schema: Record<string, unknown>[] = [{ name: 'schema', num_children: columns.length }];
  for (const c of columns) {
    if (c.kind === 'string') schema.push(str(c.name));
    else if (c.kind === 'int64') schema.push({ name: c.name, type: 'INT64', repetition_type: 'OPTIONAL' });
    else if (c.kind === 'list') schema.push(...list(c.name));
    else schema.push({ name: c.name, repetition_type: 'OPTIONAL', num_children: 2 }, ...list('text'), ...list('label'));
  }
  const buf = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, data: c.data as unknown[] })),
    schema: schema as never,
  });
  return new Uint8Array(buf);
}

export interface DatasetHub {
  url: string;
  log: string[];
  close(): Promise<void>;
}

/** files: dataset id -> path under the parquet ref ("ARC-Easy/test/0000.parquet") -> bytes. */
export async function startDatasetHub(files: Record<string, Record<string, Uint8Array>>): Promise<DatasetHub> {
  const log: string[] = [];
  const REF = 'refs%2Fconvert%2Fparquet';
  const server: Server = createServer((req, res) => {
    const raw = (req.url ?? '/').split('?')[0];
    log.push(raw);
    const tree = raw.match(/^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)\/(.+)$/);
    if (tree && tree[2] === REF && files[tree[1]]) {
      const dir = `${decodeURIComponent(tree[3])}/`;
      const entries = Object.entries(files[tree[1]])
        .filter(([p]) => p.startsWith(dir))
        .map(([p, b]) => ({ type: 'file', path: p, size: b.byteLength }));
      if (entries.length) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(entries));
        return;
      }
    }
    const file = raw.match(/^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (file && file[2] === REF) {
      const bytes = files[file[1]]?.[decodeURIComponent(file[3])];
      if (bytes) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
        res.end(Buffer.from(bytes));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"Repository not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
