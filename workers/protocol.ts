/**
 * Transitional: the types that crossed the worker boundary now live in src/engine/api.ts, the one
 * module that owns them (EngineApi, EngineHostApi, EngineClient). These names are re-exported only
 * for modules still being moved (issue 11 item 4); import them from src/engine/api instead.
 */
export type {
  AdapterReport,
  BackendReport,
  EngineClient,
  ExportPreview,
  ExportRequest,
  ExportSummary,
  GenerateEvent,
  GenerateRequest,
  GenerateSummary,
  GenerationModel,
  GenerationRun,
  GenerationStop,
  InspectResult,
  LoadProgress,
  LoadResult,
  LocalFile,
  ModelEstimate,
  ModelSource as ModelInput,
  SpeedPoint,
  SpeedReport,
  SpeedRequest,
  WorkerInit,
} from '../src/engine/api';
