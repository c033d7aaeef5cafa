import { useTouch } from './media';

/** A hint worded for the pointer at hand: `touch` on touch screens ("Tap …"), else `mouse` ("Hover …"). */
export function TouchText({ mouse, touch }: { mouse: string; touch: string }) {
  return <>{useTouch() ? touch : mouse}</>;
}
