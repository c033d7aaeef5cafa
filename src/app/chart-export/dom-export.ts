/**
 * The browser side of chart export: a chart's <svg> elements made standalone (computed styles inlined,
 * since a downloaded file has no page stylesheet), an HTML token view drawn as SVG, rasterizing an SVG
 * through an <img> and a canvas, and saving a Blob as a download.
 */
import { escapeXml, SVG_NS, type SvgPart } from './svg-compose';

const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'paint-order',
  'letter-spacing',
  'font-variant-numeric',
] as const;

/** A copy of `src` with every element's computed presentation inlined and the page's hooks removed. */
export function standaloneSvg(src: SVGSVGElement): SvgPart {
  const box = src.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const clone = src.cloneNode(true) as SVGSVGElement;
  const from = [src, ...Array.from(src.querySelectorAll('*'))];
  const to = [clone, ...Array.from(clone.querySelectorAll('*'))];
  const remove: Element[] = [];
  from.forEach((el, i) => {
    const c = to[i];
    if (!c) return;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') {
      if (c !== clone) remove.push(c);
      return;
    }
    const style = STYLE_PROPS.map((p) => [p, cs.getPropertyValue(p)] as const)
      .filter(([, v]) => v !== '' && v !== 'normal' && v !== 'auto')
      .map(([p, v]) => `${p}:${v}`)
      .join(';');
    c.setAttribute('style', style);
    for (const a of ['class', 'tabindex', 'role', 'aria-pressed', 'aria-disabled', 'data-testid']) c.removeAttribute(a);
  });
  for (const c of remove) c.remove();
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  if (!clone.getAttribute('viewBox')) clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  return { markup: new XMLSerializer().serializeToString(clone), width, height };
}

/** The chart's own SVGs inside the frame with data-chart={id}: top-level, visible, not icons. */
export function chartSvgs(chartId: string): SVGSVGElement[] {
  const frame = document.querySelector(`[data-chart="${CSS.escape(chartId)}"]`);
  if (!frame) return [];
  return Array.from(frame.querySelectorAll<SVGSVGElement>('svg')).filter((el) => {
    if (el.parentElement?.closest('svg')) return false;
    if (el.closest('[aria-hidden="true"], .panel-head, [data-export="skip"]')) return false;
    const b = el.getBoundingClientRect();
    return b.width >= 60 && b.height >= 24;
  });
}

/**
 * An HTML view of inline spans with background colours (the per-token view) drawn as SVG: each span's
 * box where the page lays it out, its background and its text. Only text nodes are read (never markup).
 */
export function spansAsSvg(container: Element, spanSelector: string): SvgPart | null {
  const spans = Array.from(container.querySelectorAll<HTMLElement>(spanSelector));
  if (!spans.length) return null;
  const box = container.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const parts: string[] = [];
  let bottom = 0;
  for (const s of spans) {
    const cs = getComputedStyle(s);
    const rects = Array.from(s.getClientRects());
    const r = rects[0];
    if (!r) continue;
    const x = r.left - box.left;
    const y = r.top - box.top;
    bottom = Math.max(bottom, y + r.height);
    const bg = cs.backgroundColor;
    if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') {
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${r.width.toFixed(1)}" height="${r.height.toFixed(1)}" rx="2" fill="${escapeXml(bg)}"/>`,
      );
    }
    const text = s.textContent ?? '';
    if (text.trim()) {
      const size = Number.parseFloat(cs.fontSize) || 13;
      parts.push(
        `<text x="${(x + Number.parseFloat(cs.paddingLeft || '0')).toFixed(1)}" y="${(y + r.height / 2 + size * 0.35).toFixed(1)}" font-size="${size}" font-family="${escapeXml(cs.fontFamily)}" fill="${escapeXml(cs.color)}" xml:space="preserve">${escapeXml(text)}</text>`,
      );
    }
  }
  const height = Math.max(1, Math.ceil(bottom + 2));
  return {
    markup: `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`,
    width,
    height,
  };
}

/** Rasterize an SVG document through an <img> and a canvas (scale 2: sharp on high-DPI screens and in slides). */
export async function svgToPng(svg: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.width = width;
    img.height = height;
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser gives no 2D canvas.');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The PNG could not be made.'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Start a browser download of `blob` under `name`; returns the object URL (the caller revokes it). */
export function startDownload(name: string, blob: Blob): string {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  return url;
}

/** startDownload, with the object URL revoked once the download has surely started. */
export function downloadBlob(name: string, blob: Blob): void {
  const url = startDownload(name, blob);
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A file name from parts: letters, digits, dot, dash and underscore only. */
export function fileName(parts: (string | null | undefined)[], ext: string): string {
  const base = parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, ''))
    .filter(Boolean)
    .join('_')
    .slice(0, 120);
  return `${base || 'droplab-chart'}.${ext}`;
}
