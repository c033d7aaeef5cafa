/**
 * Named errors. Each has a stable `code`, survives the worker boundary (toJSON / fromJSON) and
 * carries a message written for the person using DropLab: what is wrong and what to do.
 */
export type ErrorCode =
  | 'SAFETENSORS_TRUNCATED'
  | 'SAFETENSORS_HEADER'
  | 'SAFETENSORS_DTYPE'
  | 'SAFETENSORS_RANGE'
  | 'CONFIG_INVALID'
  | 'UNSUPPORTED_ARCHITECTURE'
  | 'MISSING_WEIGHT'
  | 'SHAPE_MISMATCH'
  | 'MISSING_FILE'
  | 'TEXT_TOO_SHORT'
  | 'DROP_CONFIG_INVALID'
  | 'MODEL_TOO_LARGE'
  | 'CANCELLED'
  | 'DEVICE_LOST'
  | 'RUNTIME'
  | 'SHARE_LINK_INVALID'
  | 'EXPORT_INVALID'
  | 'SETTINGS_INVALID'
  | 'NOT_FINITE'
  | 'IMPORT_INVALID'
  | 'TASK_INVALID'
  | 'DATASET_UNREACHABLE';

export class DropLabError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DropLabError';
    this.code = code;
    this.details = details;
  }
  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

const make = (name: string, code: ErrorCode) =>
  class extends DropLabError {
    constructor(message: string, details: Record<string, unknown> = {}) {
      super(code, message, details);
      this.name = name;
    }
  };

export class SafetensorsTruncatedError extends make('SafetensorsTruncatedError', 'SAFETENSORS_TRUNCATED') {}
export class SafetensorsHeaderError extends make('SafetensorsHeaderError', 'SAFETENSORS_HEADER') {}
export class SafetensorsDtypeError extends make('SafetensorsDtypeError', 'SAFETENSORS_DTYPE') {}
export class SafetensorsRangeError extends make('SafetensorsRangeError', 'SAFETENSORS_RANGE') {}
export class ConfigError extends make('ConfigError', 'CONFIG_INVALID') {}
export class UnsupportedArchitectureError extends make('UnsupportedArchitectureError', 'UNSUPPORTED_ARCHITECTURE') {}
export class MissingWeightError extends make('MissingWeightError', 'MISSING_WEIGHT') {}
export class ShapeMismatchError extends make('ShapeMismatchError', 'SHAPE_MISMATCH') {}
export class MissingFileError extends make('MissingFileError', 'MISSING_FILE') {}
export class TextTooShortError extends make('TextTooShortError', 'TEXT_TOO_SHORT') {}
export class DropConfigError extends make('DropConfigError', 'DROP_CONFIG_INVALID') {}
export class ModelTooLargeError extends make('ModelTooLargeError', 'MODEL_TOO_LARGE') {}
export class CancelledError extends make('CancelledError', 'CANCELLED') {}
export class DeviceLostError extends make('DeviceLostError', 'DEVICE_LOST') {}
export class RuntimeError extends make('RuntimeError', 'RUNTIME') {}
export class ShareLinkError extends make('ShareLinkError', 'SHARE_LINK_INVALID') {}
export class ExportError extends make('ExportError', 'EXPORT_INVALID') {}
export class SettingsError extends make('SettingsError', 'SETTINGS_INVALID') {}
/** NaN or infinity in a weight tensor (at load) or in a result (after an evaluation). */
export class NonFiniteError extends make('NonFiniteError', 'NOT_FINITE') {}
/** An imported results file (DropLab JSON, LLM-Drop .pt cache or config.json) that cannot be read. */
export class ImportError extends make('ImportError', 'IMPORT_INVALID') {}
/** A task that cannot be scored: a JSONL line that is not an item, a parquet file without a column it needs. */
export class TaskError extends make('TaskError', 'TASK_INVALID') {}
/** A task's dataset could not be fetched (offline, not found, refused). */
export class DatasetError extends make('DatasetError', 'DATASET_UNREACHABLE') {}

const byCode: Record<ErrorCode, new (m: string, d?: Record<string, unknown>) => DropLabError> = {
  SAFETENSORS_TRUNCATED: SafetensorsTruncatedError,
  SAFETENSORS_HEADER: SafetensorsHeaderError,
  SAFETENSORS_DTYPE: SafetensorsDtypeError,
  SAFETENSORS_RANGE: SafetensorsRangeError,
  CONFIG_INVALID: ConfigError,
  UNSUPPORTED_ARCHITECTURE: UnsupportedArchitectureError,
  MISSING_WEIGHT: MissingWeightError,
  SHAPE_MISMATCH: ShapeMismatchError,
  MISSING_FILE: MissingFileError,
  TEXT_TOO_SHORT: TextTooShortError,
  DROP_CONFIG_INVALID: DropConfigError,
  MODEL_TOO_LARGE: ModelTooLargeError,
  CANCELLED: CancelledError,
  DEVICE_LOST: DeviceLostError,
  RUNTIME: RuntimeError,
  SHARE_LINK_INVALID: ShareLinkError,
  EXPORT_INVALID: ExportError,
  SETTINGS_INVALID: SettingsError,
  NOT_FINITE: NonFiniteError,
  IMPORT_INVALID: ImportError,
  TASK_INVALID: TaskError,
  DATASET_UNREACHABLE: DatasetError,
};

/** Rebuild a named error on the other side of a worker boundary. */
export function errorFromJSON(e: SerializedError): DropLabError {
  const Ctor = byCode[e.code] ?? RuntimeError;
  return new Ctor(e.message, e.details);
}

/** Any thrown value as a DropLabError (runtime failures keep their message). */
export function asDropLabError(e: unknown): DropLabError {
  if (e instanceof DropLabError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/device (was )?lost|GPUDevice.*lost/i.test(msg))
    return new DeviceLostError(
      `The GPU device was lost: ${msg}. Reload the model to continue; your experiment is kept.`,
    );
  return new RuntimeError(msg);
}
