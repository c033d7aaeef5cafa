/**
 * What the Hub id field accepts: an id ("HuggingFaceTB/SmolLM2-135M", or a single name such as "gpt2"),
 * or a model page's address as copied from the browser ("https://huggingface.co/Org/Name", with
 * "/tree/<revision>", "/blob/<revision>/<file>", "/resolve/…", a query or a hash), which is read as the
 * id and, where the address names one, the revision. Pure.
 */
import { isHubId } from '../../state/share-link';

export type HubInput = { ok: true; id: string; revision?: string } | { ok: false; message: string };

const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);
const EXAMPLE = 'Enter a model id such as HuggingFaceTB/SmolLM2-135M (owner/name), or paste the model page’s address.';

/** `endpoint`: the Hub in use (?hub=), whose addresses are read too. */
export function readHubInput(input: string, endpoint = 'https://huggingface.co'): HubInput {
  const text = input.trim();
  if (!text) return { ok: false, message: EXAMPLE };
  if (isHubId(text)) return { ok: true, id: text };
  const url = parseAddress(text);
  if (!url) return { ok: false, message: EXAMPLE };
  let endpointHost = '';
  try {
    endpointHost = new URL(endpoint).host;
  } catch {}
  if (!HUB_HOSTS.has(url.host) && url.host !== endpointHost)
    return { ok: false, message: `${url.host} is not the Hugging Face Hub: ${EXAMPLE}` };
  const parts = url.pathname.split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'datasets' || parts[0] === 'spaces')
    return {
      ok: false,
      message: `That address is a Hub ${parts[0] === 'datasets' ? 'dataset' : 'Space'}, not a model: ${EXAMPLE}`,
    };
  if (parts[0] === 'models') parts.shift();
  // owner/name, or a single name (gpt2) followed by a view of the repository.
  const VIEWS = new Set(['tree', 'blob', 'resolve', 'raw', 'commit', 'commits', 'discussions', 'files']);
  const idParts = parts.length >= 2 && !VIEWS.has(parts[1]) ? parts.slice(0, 2) : parts.slice(0, 1);
  const id = idParts.join('/');
  if (!isHubId(id)) return { ok: false, message: EXAMPLE };
  const view = parts[idParts.length];
  const rev = (view === 'tree' || view === 'blob' || view === 'resolve' || view === 'raw') && parts[idParts.length + 1];
  return rev && rev !== 'main' ? { ok: true, id, revision: rev } : { ok: true, id };
}

function parseAddress(text: string): URL | null {
  const withScheme = /^https?:\/\//i.test(text)
    ? text
    : /^(www\.)?(huggingface\.co|hf\.co)\//i.test(text)
      ? `https://${text}`
      : null;
  if (!withScheme) return null;
  try {
    return new URL(withScheme);
  } catch {
    return null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
