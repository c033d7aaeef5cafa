/**
 * Media queries as React state. Touch screens: no hover. `useTouch()` is true where the primary pointer cannot hover (phones, tablets),
 * so hints say "Tap" instead of "Hover"; it follows the media query as it changes (a tablet with a
 * mouse plugged in). Server rendering and browsers without matchMedia get the mouse wording.
 */
import { useSyncExternalStore } from 'react';

export const TOUCH_QUERY = '(hover: none), (pointer: coarse)';

/** Narrow screens: the setup panels fold (keep in step with the 700 px media queries in styles.css). */
export const NARROW_QUERY = '(max-width: 700px)';

function mediaList(q: string): MediaQueryList | null {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(q) : null;
}

/** Whether the media query matches now, re-rendering when that changes; `fallback` without matchMedia. */
export function useMediaQuery(q: string, fallback = false): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const m = mediaList(q);
      m?.addEventListener('change', onChange);
      return () => m?.removeEventListener('change', onChange);
    },
    () => mediaList(q)?.matches ?? fallback,
    () => fallback,
  );
}

export function useTouch(): boolean {
  return useMediaQuery(TOUCH_QUERY);
}

/** "Hover" or "Tap" (capitalised or not) for a hint. */
export function pointVerb(touch: boolean, capital = true): string {
  const w = touch ? 'tap' : 'hover';
  return capital ? w[0].toUpperCase() + w.slice(1) : w;
}

/** "click" or "tap". */
export function pressVerb(touch: boolean): string {
  return touch ? 'tap' : 'click';
}
