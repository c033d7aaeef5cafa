/** Colours and dashes of the curves (the panel, its chart and its legend). */
import type { Strategy } from '../../state/curves';

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), plus a dash each. */
export const STRATEGY_STYLE: Record<Strategy, { color: string; dash?: string }> = {
  attn: { color: '#0072B2' },
  mlp: { color: '#D55E00', dash: '7 3' },
  block: { color: '#009E73', dash: '2 3' },
  joint: { color: '#CC79A7', dash: '10 3 2 3' },
};
export const CURRENT_COLOR = '#1b1f24';
