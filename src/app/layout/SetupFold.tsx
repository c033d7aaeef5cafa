/**
 * The setup panels (model, text, quick plan, experiments) in a <details>: always open on wide screens
 * (the summary line is hidden there), folded by default on narrow ones, where the results come first and
 * the setup sits below the heatmap (styles.css orders them). A model or text that fails opens it, so that
 * its error is seen.
 */
import { type ReactNode, useEffect, useState } from 'react';
import { useWorkbench } from '../context';
import { NARROW_QUERY, useMediaQuery } from './media';

export function SetupFold({ children }: { children: ReactNode }) {
  const narrow = useMediaQuery(NARROW_QUERY);
  const [openNarrow, setOpenNarrow] = useState(false);
  const failed = useWorkbench((s) => s.model.status === 'error' || s.data.status === 'error');
  useEffect(() => {
    if (failed) setOpenNarrow(true);
  }, [failed]);
  const open = !narrow || openNarrow;
  return (
    <details
      className="setup-fold"
      open={open}
      data-testid="setup-fold"
      onToggle={(e) => {
        if (narrow) setOpenNarrow(e.currentTarget.open);
      }}
    >
      <summary className="setup-summary">
        <span className="setup-summary-title">Setup</span>
        <span className="setup-summary-note">model, text, quick plan, saved experiments</span>
      </summary>
      <div className="sidebar-panels">{children}</div>
    </details>
  );
}
