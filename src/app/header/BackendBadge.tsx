/** Which backend the engine worker runs on: the WebGPU adapter, or wasm with the reason. */
import { useWorkbench } from '../context';

export function BackendBadge() {
  const backend = useWorkbench((s) => s.backend);
  if (backend.state === 'probing') {
    return (
      <output className="badge badge-muted" data-testid="backend" data-backend="probing">
        Starting engine…
      </output>
    );
  }
  if (backend.state === 'error') {
    return (
      <output className="badge badge-error" data-testid="backend" data-backend="error" title={backend.error.message}>
        {backend.error.code === 'DEVICE_LOST' ? 'GPU device lost' : `Engine failed to start: ${backend.error.message}`}
      </output>
    );
  }
  const r = backend.report;
  if (r.backend === 'webgpu') {
    const a = r.adapter;
    const name = [a.vendor, a.architecture].filter(Boolean).join(' · ') || a.description || 'unknown adapter';
    return (
      <output
        className="badge badge-ok"
        data-testid="backend"
        data-backend="webgpu"
        data-adapter={JSON.stringify(a)}
        title={`${a.description || name}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}${a.features.includes('shader-f16') ? '' : '\nNo shader-f16: fp32 only'}\nCross-origin isolated: ${r.crossOriginIsolated}`}
      >
        WebGPU · {name}
        {a.isFallbackAdapter ? ' (fallback)' : ''}
      </output>
    );
  }
  return (
    <output className="badge badge-warn" data-testid="backend" data-backend="wasm" title={r.reason}>
      WebAssembly · {r.threads} thread{r.threads === 1 ? '' : 's'} · {r.reason}
    </output>
  );
}
