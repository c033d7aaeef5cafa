/** A dismissible banner for refused links and other notices (text only, never HTML). */
import { useWorkbench } from './context';

export function NoticeBanner() {
  const notice = useWorkbench((s) => s.ui.notice);
  const setNotice = useWorkbench((s) => s.setNotice);
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice">
      <div>
        <strong>{notice.title}</strong>
        <p>{notice.message}</p>
      </div>
      <button type="button" className="link-button" onClick={() => setNotice(null)} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
