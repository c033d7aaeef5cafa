/**
 * ModelFiles helpers that work everywhere (browser, worker, Node): an in-memory folder and JSON reading
 * with DropLab's errors. A Node folder reader lives in src/cli/node-files.ts.
 */
import type { ModelFiles } from './api';
import { ConfigError, MissingFileError } from './errors';

/** A model folder held in memory: file name (relative, '/'-separated) -> bytes. */
export function memoryFiles(map: Record<string, Uint8Array>, folder = 'the model folder'): ModelFiles {
  const entries = new Map(Object.entries(map));
  return {
    names: () => [...entries.keys()],
    read: async (name: string) => {
      const bytes = entries.get(name);
      if (!bytes) throw new MissingFileError(`${name} is missing from ${folder}.`, { file: name });
      return bytes;
    },
  };
}

export function hasFile(files: ModelFiles, name: string): boolean {
  return files.names().includes(name);
}

/**
 * Read and parse a JSON object file. A missing file throws MissingFileError, or returns null when
 * `optional`; bad JSON or a non-object throws ConfigError naming the file.
 */
export async function readJsonFile(
  files: ModelFiles,
  name: string,
  optional: true,
): Promise<Record<string, unknown> | null>;
export async function readJsonFile(files: ModelFiles, name: string, optional?: false): Promise<Record<string, unknown>>;
export async function readJsonFile(
  files: ModelFiles,
  name: string,
  optional = false,
): Promise<Record<string, unknown> | null> {
  if (!hasFile(files, name)) {
    if (optional) return null;
    throw new MissingFileError(`${name} is missing from the model folder; a Hugging Face model folder needs it.`, {
      file: name,
    });
  }
  return parseJsonObject(await files.read(name), name);
}

export function parseJsonObject(bytes: Uint8Array, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ConfigError(`${name} is not valid JSON: ${(e as Error).message}`, { file: name });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${name} must contain a JSON object.`, { file: name });
  }
  return value as Record<string, unknown>;
}
