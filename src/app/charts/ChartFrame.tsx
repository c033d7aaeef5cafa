/**
 * The frame every chart panel shares: heading, one-line explanation, an actions slot at the top right,
 * and a "stale" veil while newer values are being computed.
 *
 * Extension point: chart export (PNG/SVG/CSV/JSON) plugs in through `actions` (buttons) and reads the
 * chart's <svg> inside the element with data-chart={id}; each chart panel also knows its own numbers.
 */
import type { ReactNode } from 'react';

export interface ChartFrameProps {
  id: string;
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  /** Values shown are for an older configuration; newer ones are on their way. */
  stale?: boolean;
  /** Nothing to show yet: this message instead of the children. */
  empty?: string | null;
  children?: ReactNode;
  className?: string;
}

export function ChartFrame({ id, title, subtitle, actions, stale, empty, children, className }: ChartFrameProps) {
  return (
    <section
      className={`panel chart-frame${className ? ` ${className}` : ''}`}
      aria-labelledby={`${id}-title`}
      data-chart={id}
      data-stale={stale || undefined}
    >
      <header className="panel-head">
        <div>
          <h2 id={`${id}-title`}>{title}</h2>
          {subtitle && <p className="panel-note">{subtitle}</p>}
        </div>
        {actions && <div className="panel-actions">{actions}</div>}
      </header>
      {empty ? (
        <div className="placeholder">{empty}</div>
      ) : (
        <div className={`chart-body${stale ? ' stale' : ''}`}>{children}</div>
      )}
    </section>
  );
}
