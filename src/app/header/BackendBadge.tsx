/** Where the engine worker runs (GPU or CPU) in plain words; the technical report in the title. */
import { useWorkbench } from '../context';
import { backendWords } from './backend-words';

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
        {backend.error.code === 'DEVICE_LOST'
          ? 'GPU device lost'
          : backend.error.code === 'ENGINE_STOPPED'
            ? 'Engine stopped'
            : 'Engine failed to start'}
      </output>
    );
  }
  const r = backend.report;
  const w = backendWords(r);
  return (
    <output
      className={`badge badge-${w.tone}`}
      data-testid="backend"
      data-backend={r.backend}
      {...(r.backend === 'webgpu' ? { 'data-adapter': JSON.stringify(r.adapter) } : {})}
      title={w.title}
    >
      {w.text}
    </output>
  );
}
