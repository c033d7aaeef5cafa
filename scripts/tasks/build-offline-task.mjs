#!/usr/bin/env node
/**
 * Builds DropLab's offline multiple-choice task, public/tasks/word-completion.jsonl ("word completion in
 * context"), from the held-out public-domain texts in public/data (the bundled model never trained on
 * them; docs/TASKS.md):
 *
 *   Paragraphs (form feeds and blank lines split them; Moby-Dick's chapter titles are left out). A
 *   target is a word of at least 6 letters, not a paragraph's last. The context is the paragraph up to
 *   and including the target's first 3 letters, at most CONTEXT_CHARS (120) characters before them, cut
 *   at a word boundary. The true continuation is the rest of the target, a space and the next word;
 *   three wrong ones are the same for other targets (a different word, in another paragraph of the same
 *   text) whose continuation is within 20% (at least 2 characters) of the true one's length. 150 items
 *   per text, at most one per 400 characters of a paragraph, in text order; the gold position is drawn
 *   at random. Choices are appended to the context as given (no delimiter).
 *
 * A first construction (the next sentence among sentences of the same text, or the next 1-3 words
 * among spans of the same text) left the bundled model near chance (23-37%, 4 choices); this one needs
 * both spelling and the context, and the model scores about 80%.
 *
 * Deterministic: a fixed seed (mulberry32), the texts' bytes and nothing else; `--check` rebuilds in
 * memory and exits 1 if the committed file differs. Usage: node scripts/tasks/build-offline-task.mjs [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'public', 'tasks', 'word-completion.jsonl');
const SOURCES = [
  { id: 'moby-dick-heldout', file: join(ROOT, 'public', 'data', 'moby-dick-heldout.txt'), items: 150 },
  { id: 'sotu-heldout', file: join(ROOT, 'public', 'data', 'sotu-heldout.txt'), items: 150 },
];
const SEED = 20260514;
const CONTEXT_CHARS = 120;
const PREFIX = 3;
const CHOICES = 4;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Word spans: the words of a paragraph with their start offsets. */
function words(par) {
  const out = [];
  for (const m of par.matchAll(/\S+/g)) out.push({ w: m[0], at: m.index });
  return out;
}

export function buildItems() {
  const rand = mulberry32(SEED);
  const items = [];
  for (const src of SOURCES) {
    const text = readFileSync(src.file, 'utf8');
    const paras = text
      .split(/\f|\n\s*\n/)
      .map((p) => p.replace(/\s+/g, ' ').trim())
      .filter((p) => p && !/^CHAPTER \d+/.test(p));
    // Every word of at least 6 letters (not the paragraph's last): the context ends after its first
    // PREFIX letters; the continuation is the rest of it and the next word.
    const spans = [];
    paras.forEach((p, pi) => {
      const ws = words(p);
      for (let k = 0; k + 1 < ws.length; k++) {
        const w = ws[k].w;
        if (!/^[A-Za-z]{6,}$/.test(w.replace(/[.,;:!?"”’]+$/u, ''))) continue;
        const at = ws[k].at + PREFIX;
        spans.push({ pi, k, at, word: w, text: `${w.slice(PREFIX)} ${ws[k + 1].w}` });
      }
    });
    const usable = spans.filter((x) => x.at >= CONTEXT_CHARS);
    const pool = [...usable];
    for (let k = 0; k < pool.length; k++) {
      const j = k + Math.floor(rand() * (pool.length - k));
      [pool[k], pool[j]] = [pool[j], pool[k]];
    }
    const picked = [];
    const taken = new Set();
    for (const x of pool) {
      if (picked.length === src.items) break;
      const key = `${x.pi}:${Math.floor(x.at / 400)}`; // at most one item per 400 characters of a paragraph
      if (taken.has(key)) continue;
      taken.add(key);
      picked.push(x);
    }
    picked.sort((a, b) => a.pi - b.pi || a.at - b.at);
    for (const x of picked) {
      const p = paras[x.pi];
      const cut = p.indexOf(' ', x.at - CONTEXT_CHARS);
      const context = p.slice(cut + 1, x.at);
      const similar = (y) =>
        y.pi !== x.pi &&
        y.word !== x.word &&
        Math.abs(y.text.length - x.text.length) <= Math.max(2, 0.2 * x.text.length);
      const near = spans.filter(similar);
      const wrong = [];
      while (wrong.length < CHOICES - 1) {
        const c = near[Math.floor(rand() * near.length)].text;
        if (!wrong.includes(c)) wrong.push(c);
      }
      const gold = Math.floor(rand() * CHOICES);
      const choices = [...wrong];
      choices.splice(gold, 0, x.text);
      items.push({ context, choices, gold, source: src.id });
    }
  }
  return items;
}

export function render(items) {
  return items.map((it) => JSON.stringify(it)).join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = render(buildItems());
  if (process.argv.includes('--check')) {
    const same = readFileSync(OUT, 'utf8') === text;
    console.log(same ? `${OUT}: up to date` : `${OUT}: differs from a fresh build`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${text.split('\n').length - 1} items`);
}
