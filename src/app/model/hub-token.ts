/**
 * Where the page keeps the Hub access token: in memory (the Hub form's state and the worker), and in
 * sessionStorage (this tab only, gone when it closes) only when the person ticks the box. Never in the
 * URL, share links, saved experiments, exports, logs or messages.
 */
const KEY = 'droplab-hub-token';

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage refused (privacy settings): memory only
  }
}

/** The token remembered in this tab, if the person asked for that. */
export function rememberedHubToken(): string | null {
  try {
    return storage()?.getItem(KEY) || null;
  } catch {
    return null;
  }
}

/** Remember the token in this tab (remember = true), or forget any remembered one. */
export function rememberHubToken(token: string | null, remember: boolean): void {
  try {
    const s = storage();
    if (!s) return;
    if (remember && token) s.setItem(KEY, token);
    else s.removeItem(KEY);
  } catch {
    // quota or privacy settings: memory only
  }
}
