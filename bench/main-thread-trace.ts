/**
 * Main-thread tasks of a page from a Chrome trace, with the CPU time each one got (bench:browser).
 *
 * The 'longtask' API gives wall time only. On a machine with few cores, a task of the page's main
 * thread can take far longer on the wall clock than the main thread spent computing, because the engine
 * worker, the GPU process (SwiftShader is CPU code) and the compositor run at the same time and the OS
 * deschedules the main thread. The trace's `tdur` (thread time) tells the two apart.
 *
 * Records the 'toplevel' tasks and the page's performance.mark()s ('blink.user_timing'); events arrive
 * when tracing stops and are filtered chunk by chunk, so only the long tasks and the marks are kept.
 */
import type { Browser } from '@playwright/test';

export interface TracedTask {
  ts: number; // µs, trace clock
  wallMs: number;
  cpuMs: number;
}

export interface TraceResult {
  /** Tasks of the main thread that made the marks, with wall time over `minMs`. */
  tasks: TracedTask[];
  /** performance.mark()s of that thread whose name starts with `prefix`, in order. */
  marks: { name: string; ts: number }[];
}

interface TraceEvent {
  name?: string;
  cat?: string;
  ph?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

const TASK_NAMES = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

export async function startMainThreadTrace(
  browser: Browser,
  prefix: string,
  minMs = 50,
): Promise<{ stop(): Promise<TraceResult> }> {
  const cdp = await browser.newBrowserCDPSession();
  const threads = new Map<string, string>(); // "pid:tid" -> thread name
  const tasks: (TracedTask & { thread: string })[] = [];
  const marks: { name: string; ts: number; thread: string }[] = [];
  const done = new Promise<void>((resolve) => cdp.on('Tracing.tracingComplete', () => resolve()));
  cdp.on('Tracing.dataCollected', ({ value }: { value: TraceEvent[] }) => {
    for (const e of value) {
      const thread = `${e.pid}:${e.tid}`;
      if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threads.set(thread, e.args.name);
      else if (e.ph === 'X' && e.name && TASK_NAMES.has(e.name) && (e.dur ?? 0) > minMs * 1000)
        tasks.push({ ts: e.ts ?? 0, wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? 0) / 1000, thread });
      else if (e.cat?.includes('blink.user_timing') && e.name?.startsWith(prefix) && e.ts !== undefined)
        marks.push({ name: e.name, ts: e.ts, thread });
    }
  });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { recordMode: 'recordUntilFull', includedCategories: ['toplevel', 'blink.user_timing'] },
    bufferUsageReportingInterval: 60_000,
  });
  return {
    async stop() {
      await cdp.send('Tracing.end');
      await done;
      await cdp.detach().catch(() => undefined);
      // The page's main thread: a renderer main thread that made the marks.
      const main = new Set(marks.map((m) => m.thread).filter((t) => threads.get(t) === 'CrRendererMain'));
      const seen = new Set<string>();
      return {
        tasks: tasks
          .filter((t) => main.has(t.thread))
          // nested task events of one task (same start) are counted once, the outermost
          .sort((a, b) => a.ts - b.ts || b.wallMs - a.wallMs)
          .filter((t) => {
            const k = `${t.thread}:${t.ts}`;
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
          })
          .map(({ ts, wallMs, cpuMs }) => ({ ts, wallMs, cpuMs })),
        marks: marks
          .filter((m) => main.has(m.thread))
          .sort((a, b) => a.ts - b.ts)
          .map(({ name, ts }) => ({ name, ts })),
      };
    },
  };
}

/** The tasks of `r` that overlap [from, to) (trace clock, µs). */
export function tasksBetween(r: TraceResult, from: number, to: number): TracedTask[] {
  return r.tasks.filter((t) => t.ts < to && t.ts + t.wallMs * 1000 > from);
}
