/**
 * One standalone SVG document for a chart (pure string building): a white page with the title, a
 * wrapped subtitle, the chart's SVG parts stacked and centred, an optional legend and a footer saying
 * what the numbers were measured on. The parts are already self-contained (styles inlined).
 */

export interface SvgPart {
  /** A complete <svg> element with xmlns, width and height. */
  markup: string;
  width: number;
  height: number;
}

export interface LegendItem {
  label: string;
  color: string;
  /** 'line' (optionally dashed) or a marker. */
  shape?: 'line' | 'dot' | 'ring';
  dash?: string;
}

export interface ComposeOptions {
  title: string;
  subtitle?: string;
  footer?: string;
  legend?: LegendItem[];
  parts: SvgPart[];
  minWidth?: number;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif';
const PAD = 20;

export function escapeXml(s: string): string {
  // Characters XML 1.0 forbids are dropped; the rest escaped.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
  return clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Greedy word wrap to lines of at most `max` characters (a longer word gets a line of its own). */
export function wrapText(s: string, max: number): string[] {
  const words = s.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > max) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function composeSvg(o: ComposeOptions): { svg: string; width: number; height: number } {
  const contentW = Math.max(o.minWidth ?? 480, ...o.parts.map((p) => p.width), 0);
  const width = Math.ceil(contentW + 2 * PAD);
  const out: string[] = [];
  let y = PAD;
  out.push(
    `<text x="${PAD}" y="${y + 16}" font-size="17" font-weight="600" fill="#1b1f24">${escapeXml(o.title)}</text>`,
  );
  y += 26;
  if (o.subtitle) {
    for (const line of wrapText(o.subtitle, Math.max(30, Math.floor(contentW / 6.6)))) {
      out.push(`<text x="${PAD}" y="${y + 12}" font-size="12" fill="#5f6b7a">${escapeXml(line)}</text>`);
      y += 17;
    }
  }
  y += 10;
  if (o.legend?.length) {
    let x = PAD;
    const lh = 20;
    for (const item of o.legend) {
      const w = 28 + item.label.length * 6.8 + 18;
      if (x + w > PAD + contentW && x > PAD) {
        x = PAD;
        y += lh;
      }
      const cy = y + 8;
      const c = escapeXml(item.color);
      if (item.shape === 'dot') out.push(`<circle cx="${r1(x + 10)}" cy="${cy}" r="5" fill="${c}"/>`);
      else if (item.shape === 'ring')
        out.push(`<circle cx="${r1(x + 10)}" cy="${cy}" r="6" fill="none" stroke="${c}" stroke-width="2.5"/>`);
      else
        out.push(
          `<line x1="${r1(x)}" x2="${r1(x + 22)}" y1="${cy}" y2="${cy}" stroke="${c}" stroke-width="2.5"${item.dash ? ` stroke-dasharray="${escapeXml(item.dash)}"` : ''}/>`,
        );
      out.push(`<text x="${r1(x + 28)}" y="${cy + 4}" font-size="12" fill="#1b1f24">${escapeXml(item.label)}</text>`);
      x += w;
    }
    y += lh + 6;
  }
  for (const p of o.parts) {
    const x = PAD + (contentW - p.width) / 2;
    out.push(`<g transform="translate(${r1(x)} ${r1(y)})">${p.markup}</g>`);
    y += p.height + 8;
  }
  if (o.footer) {
    y += 6;
    for (const line of wrapText(o.footer, Math.max(30, Math.floor(contentW / 6)))) {
      out.push(`<text x="${PAD}" y="${y + 11}" font-size="11" fill="#5f6b7a">${escapeXml(line)}</text>`);
      y += 15;
    }
  }
  const height = Math.ceil(y + PAD - 8);
  const svg =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>${out.join('')}</svg>\n`;
  return { svg, width, height };
}
