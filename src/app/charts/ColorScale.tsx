import { useId } from 'react';
import { formatValue } from '../format';
import { type Domain, ticks, viridis } from './color';

/** A horizontal colour bar with numbered ticks (SVG). */
export function ColorScale({ domain, label, width = 260 }: { domain: Domain; label: string; width?: number }) {
  const id = useId().replace(/:/g, '');
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const tv = ticks(domain, 5);
  const pad = 18;
  const barW = width - 2 * pad;
  return (
    <svg
      className="color-scale"
      width={width}
      height={44}
      viewBox={`0 0 ${width} 44`}
      role="img"
      aria-label={`${label}: colour scale from ${formatValue(domain.min)} to ${formatValue(domain.max)}`}
    >
      <defs>
        <linearGradient id={`g${id}`} x1="0" x2="1" y1="0" y2="0">
          {stops.map((s) => (
            <stop key={s} offset={s} stopColor={viridis(s)} />
          ))}
        </linearGradient>
      </defs>
      <rect x={pad} y={4} width={barW} height={12} rx={2} fill={`url(#g${id})`} />
      {tv.map((v, i) => {
        const x = pad + (barW * i) / (tv.length - 1);
        return (
          <g key={v}>
            <line x1={x} x2={x} y1={16} y2={20} stroke="#5f6b7a" />
            <text x={x} y={32} textAnchor="middle" className="tick">
              {formatValue(v)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
