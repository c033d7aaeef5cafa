import { useEffect } from 'react';
import { useWorkbench } from '../state/store';
import { engine } from './engine';

/** Asks the engine worker once which backend it gets, and shows the answer in the header. */
export function BackendBadge() {
  const backend = useWorkbench((s) => s.backend);
  const setBackend = useWorkbench((s) => s.setBackend);

  useEffect(() => {
    let live = true;
    engine()
      .ping()
      .then((ping) => live && setBackend({ state: 'ready', ping }))
      .catch((e: unknown) => live && setBackend({ state: 'error', message: e instanceof Error ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [setBackend]);

  if (backend.state === 'probing') {
    return (
      <output className="badge badge-muted" data-testid="backend" data-backend="probing">
        Starting engine…
      </output>
    );
  }
  if (backend.state === 'error') {
    return (
      <output className="badge badge-error" data-testid="backend" data-backend="error" title={backend.message}>
        Engine failed to start
      </output>
    );
  }
  const { ping } = backend;
  if (ping.backend === 'webgpu') {
    const a = ping.adapter;
    const name = [a.vendor, a.architecture].filter(Boolean).join(' · ') || a.description || 'unknown adapter';
    return (
      <output
        className="badge badge-ok"
        data-testid="backend"
        data-backend="webgpu"
        data-adapter={JSON.stringify(a)}
        title={`${a.description}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}\nCross-origin isolated: ${ping.crossOriginIsolated}`}
      >
        WebGPU · {name}
        {a.isFallbackAdapter ? ' (fallback)' : ''}
      </output>
    );
  }
  return (
    <output className="badge badge-warn" data-testid="backend" data-backend="wasm" title={ping.reason}>
      WebAssembly ({ping.threads} threads) · {ping.reason}
    </output>
  );
}
