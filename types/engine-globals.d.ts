/**
 * The few globals that every host of the engine core provides identically (dedicated Web Worker,
 * browser main thread, Node >= 20). tsconfig.engine.json compiles src/engine with lib ES2022 only, so
 * DOM, WebWorker and Node globals are errors there; these declarations add back just this portable
 * subset. Keep it small: anything added must exist, with the same behaviour, in a worker and in Node.
 * (Not included by tsconfig.json, where lib.dom and @types/node declare the full versions.)
 */

interface TextDecodeOptions {
  stream?: boolean;
}
interface TextDecoderOptions {
  fatal?: boolean;
  ignoreBOM?: boolean;
}
interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: TextDecodeOptions): string;
}
declare var TextDecoder: {
  prototype: TextDecoder;
  new (label?: string, options?: TextDecoderOptions): TextDecoder;
};

interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}
interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
}
declare var TextEncoder: {
  prototype: TextEncoder;
  new (): TextEncoder;
};

interface Console {
  debug(...data: unknown[]): void;
  error(...data: unknown[]): void;
  info(...data: unknown[]): void;
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
}
declare var console: Console;

interface Performance {
  now(): number;
}
declare var performance: Performance;

declare function queueMicrotask(callback: () => void): void;
declare function setTimeout(handler: (...args: unknown[]) => void, timeout?: number): unknown;
declare function clearTimeout(id: unknown): void;
