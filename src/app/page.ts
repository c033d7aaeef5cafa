/** Page-level options from the query string, and the URL hash as the controller's HashPort. */
import type { HashPort } from '../state/url-sync';

/** `?backend=`: auto (WebGPU on a hardware adapter, else wasm), or one forced. */
export type BackendPreference = 'auto' | 'wasm' | 'webgpu';

export interface PageOptions {
  backend: BackendPreference;
  hubEndpoint: string;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * `?backend=wasm` forces the wasm backend and `?backend=webgpu` WebGPU even on a software (fallback)
 * adapter; `?hub=<origin>` points the Hub at a mirror or a test server
 * (https, or http on localhost only). Anything else is ignored.
 */
export function pageOptions(search: string): PageOptions {
  const q = new URLSearchParams(search);
  let hubEndpoint = DEFAULT_HUB_ENDPOINT;
  const hub = q.get('hub');
  if (hub) {
    try {
      const u = new URL(hub);
      const local = u.hostname === 'localhost' || u.hostname === '127.0.0.1';
      if ((u.protocol === 'https:' || (u.protocol === 'http:' && local)) && !u.username && !u.password) {
        hubEndpoint = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
      }
    } catch {
      // ignored: the default Hub
    }
  }
  const b = q.get('backend');
  return { backend: b === 'wasm' || b === 'webgpu' ? b : 'auto', hubEndpoint };
}

/** This page's URL on another backend (`?backend=`), the experiment's hash and other flags kept. */
export function urlWithBackend(href: string, backend: BackendPreference): string {
  const u = new URL(href);
  if (backend === 'auto') u.searchParams.delete('backend');
  else u.searchParams.set('backend', backend);
  return u.href;
}

export function browserHash(): HashPort {
  return {
    get: () => window.location.hash.replace(/^#/, ''),
    replace: (hash) => {
      const url = `${window.location.pathname}${window.location.search}#${hash}`;
      window.history.replaceState(window.history.state, '', url);
    },
    onChange: (cb) => {
      // The hash the event carries, not location.hash at dispatch time: a debounced write of the
      // previous experiment (replaceState) can land in between and would swallow the pasted link.
      const on = (e: HashChangeEvent) => cb(new URL(e.newURL).hash.replace(/^#/, ''));
      window.addEventListener('hashchange', on);
      return () => window.removeEventListener('hashchange', on);
    },
  };
}
