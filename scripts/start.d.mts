/** Types of scripts/start.mjs (for its test). */
export function parseStartArgs(
  argv: readonly string[],
  env?: Record<string, string | undefined>,
): { port: number; build: boolean; preview: string[] } | { error: string };
