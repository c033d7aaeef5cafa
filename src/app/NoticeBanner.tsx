/** A dismissible banner for refused links and other notices (text only, never HTML). */
import { useController, useWorkbench } from './context';
import { urlWithBackend } from './page';

/** "Continue on WebAssembly" is offered unless the page is on wasm already (then Reload is the same). */
function onWasmAlready(): boolean {
  return typeof window !== 'undefined' && new URLSearchParams(window.location.search).get('backend') === 'wasm';
}

export function NoticeBanner() {
  const notice = useWorkbench((s) => s.ui.notice);
  const setNotice = useWorkbench((s) => s.setNotice);
  const controller = useController();
  if (!notice) return null;
  return (
    <div
      className={`notice notice-${notice.kind}`}
      role={notice.kind === 'error' ? 'alert' : 'status'}
      data-testid="notice"
    >
      <div>
        <strong>{notice.title}</strong>
        <p>{notice.message}</p>
        {notice.action === 'download' && (
          <p className="notice-actions">
            <button type="button" onClick={() => controller.confirmDownload(true)} data-testid="notice-download">
              Download and open
            </button>{' '}
            <button
              type="button"
              className="secondary-button"
              onClick={() => controller.confirmDownload(false)}
              data-testid="notice-download-no"
            >
              Not now
            </button>
          </p>
        )}
        {notice.action === 'reload' && (
          // The experiment is in the URL hash: a reload restores it on a fresh runtime.
          <p className="notice-actions">
            <button type="button" onClick={() => window.location.reload()} data-testid="notice-reload">
              Reload
            </button>
            {!onWasmAlready() && (
              <>
                {' '}
                <button
                  type="button"
                  className="secondary-button"
                  onClick={() => window.location.assign(urlWithBackend(window.location.href, 'wasm'))}
                  data-testid="notice-reload-wasm"
                >
                  Continue on WebAssembly
                </button>
              </>
            )}
          </p>
        )}
      </div>
      <button
        type="button"
        className="link-button"
        onClick={() => (notice.action === 'download' ? controller.confirmDownload(false) : setNotice(null))}
        aria-label="Dismiss"
      >
        ✕
      </button>
    </div>
  );
}
