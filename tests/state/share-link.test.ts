import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ShareLinkError } from '../../src/engine/errors';
import {
  checkExperimentAgainstModel,
  decodeExperiment,
  encodeExperiment,
  type Experiment,
  isEmptyHash,
  linkSafeName,
  MAX_HASH_CHARS,
  MAX_TEXT_BYTES,
  sameExperiment,
} from '../../src/state/share-link';
import { fakeSpec } from '../app/fake-engine';

const base: Experiment = {
  model: { kind: 'bundled', name: 'droplab-byte-12l' },
  drops: { attn: [3, 5, 11], mlp: [7] },
  text: { kind: 'bundled', id: 'moby-dick-heldout' },
  seqLen: 256,
  windows: 8,
  metric: 'cosine',
};

function refused(hash: string, pattern?: RegExp): ShareLinkError {
  let err: unknown;
  try {
    decodeExperiment(hash);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${hash.slice(0, 80)} to be refused`).toBeInstanceOf(ShareLinkError);
  const e = err as ShareLinkError;
  expect(e.code).toBe('SHARE_LINK_INVALID');
  expect(e.message.length).toBeGreaterThan(10);
  if (pattern) expect(e.message).toMatch(pattern);
  return e;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

describe('share link: round trip', () => {
  it('is compact, readable and versioned', () => {
    const h = encodeExperiment(base);
    expect(h).toBe('v1&m=b:droplab-byte-12l&da=3,5,11&dm=7&t=b:moby-dick-heldout&L=256&n=8&x=cos');
    expect(decodeExperiment(`#${h}`)).toEqual(base);
    expect(decodeExperiment(h)).toEqual(base);
  });

  const variants: [string, Experiment][] = [
    ['no drops', { ...base, drops: { attn: [], mlp: [] } }],
    ['hub model', { ...base, model: { kind: 'hub', id: 'HuggingFaceTB/SmolLM2-135M' } }],
    ['hub model with revision', { ...base, model: { kind: 'hub', id: 'Qwen/Qwen2.5-0.5B', revision: 'refs/pr/1' } }],
    ['hub model without owner', { ...base, model: { kind: 'hub', id: 'gpt2' } }],
    ['local folder', { ...base, model: { kind: 'local', name: 'my model (v2) & co' } }],
    [
      'pasted text',
      {
        ...base,
        text: { kind: 'paste', text: 'Call me Ishmael. \f Some years ago — never mind how long — 🐋 & = # % ?' },
      },
    ],
    [
      'uploaded text',
      { ...base, text: { kind: 'upload', name: 'notes & stuff #1.txt', text: 'line one\nline two\n' } },
    ],
    ['each metric', { ...base, metric: 'dnll' }],
    ['nonorm', { ...base, metric: 'nonorm' }],
    ['block', { ...base, metric: 'block' }],
    ['extremes', { ...base, seqLen: 2, windows: 4096, drops: { attn: [0, 1023], mlp: [] } }],
  ];
  for (const [name, e] of variants) {
    it(`round-trips: ${name}`, () => {
      const h = encodeExperiment(e);
      expect(decodeExperiment(h)).toEqual(e);
      expect(sameExperiment(decodeExperiment(h), e)).toBe(true);
      // Only characters that survive in a URL fragment unescaped.
      expect(h).toMatch(/^[A-Za-z0-9\-._~!$'()*+,;=:@/&%]*$/);
    });
  }

  it('compresses long pasted texts and round-trips the largest allowed text', () => {
    const text = 'It was the best of times, it was the worst of times. '.repeat(Math.floor(MAX_TEXT_BYTES / 54));
    const e: Experiment = { ...base, text: { kind: 'paste', text } };
    const h = encodeExperiment(e);
    expect(h.length).toBeLessThan(text.length / 10);
    expect(decodeExperiment(h)).toEqual(e);
  });

  it('refuses to encode what it would refuse to decode', () => {
    expect(() => encodeExperiment({ ...base, drops: { attn: [3, 3], mlp: [] } })).toThrow(ShareLinkError);
    expect(() => encodeExperiment({ ...base, seqLen: 1 })).toThrow(ShareLinkError);
    expect(() => encodeExperiment({ ...base, text: { kind: 'paste', text: '   ' } })).toThrow(ShareLinkError);
  });

  it('knows an empty hash', () => {
    expect(isEmptyHash('')).toBe(true);
    expect(isEmptyHash('#')).toBe(true);
    expect(isEmptyHash('#v1')).toBe(false);
  });
});

describe('share link: damaged links are refused with a clear message', () => {
  const good = encodeExperiment(base);
  const cases: [string, string, RegExp?][] = [
    ['empty', '#', /empty/],
    ['not a DropLab link', '#section-2', /not a DropLab/],
    ['no version', 'm=b:droplab-byte-12l&t=b:x&L=2&n=1', /version/],
    ['version zero', good.replace('v1', 'v0'), /does not exist/],
    ['missing model', good.replace('m=b:droplab-byte-12l&', ''), /no "m"/],
    ['missing text', good.replace('&t=b:moby-dick-heldout', ''), /no "t"/],
    ['missing window length', good.replace('&L=256', ''), /no "L"/],
    ['missing windows', good.replace('&n=8', ''), /no "n"/],
    ['unknown field', `${good}&evil=1`, /does not know/],
    ['duplicate field', `${good}&L=128`, /twice/],
    ['field without value', `${good}&x`, /damaged/],
    ['bad percent-encoding', good.replace('m=b:', 'm=%E0%A4%ZZ'), /encoded/],
    ['unsorted drops', good.replace('da=3,5,11', 'da=5,3'), /ascending/],
    ['repeated drops', good.replace('da=3,5,11', 'da=3,3'), /ascending/],
    ['negative layer', good.replace('da=3,5,11', 'da=-1'), /whole number/],
    ['fractional layer', good.replace('da=3,5,11', 'da=1.5'), /whole number/],
    ['layer with leading zero', good.replace('da=3,5,11', 'da=03'), /whole number/],
    ['huge layer', good.replace('da=3,5,11', 'da=99999'), /0 to 1023/],
    ['empty layer in list', good.replace('da=3,5,11', 'da=3,,5'), /whole number/],
    ['exponent window length', good.replace('L=256', 'L=1e3'), /whole number/],
    ['window length 1', good.replace('L=256', 'L=1'), /window length/],
    ['window length too big', good.replace('L=256', 'L=100000'), /window length/],
    ['zero windows', good.replace('n=8', 'n=0'), /number of windows/],
    ['unknown metric', good.replace('x=cos', 'x=magic'), /metric/],
    ['unknown model kind', good.replace('m=b:', 'm=z:'), /b:, h: or l:/],
    ['unknown text kind', good.replace('t=b:', 't=q:'), /b:, p: or u:/],
    ['bad bundled model name', good.replace('droplab-byte-12l', 'Droplab/../x'), /bundled model/],
    ['bad text id', good.replace('moby-dick-heldout', '../../etc/passwd'), /bundled text/],
    ['bad hub id', good.replace('m=b:droplab-byte-12l', 'm=h:a/b/c'), /Hugging Face model id/],
    ['hub id with ..', good.replace('m=b:droplab-byte-12l', 'm=h:a/..'), /Hugging Face model id/],
    ['bad revision', good.replace('m=b:droplab-byte-12l', 'm=h:gpt2@..%2F..'), /revision/],
    ['empty local name', good.replace('m=b:droplab-byte-12l', 'm=l:'), /1 to/],
    [
      'upload without name',
      good.replace('t=b:moby-dick-heldout', `t=u:${b64url(deflateSync(new TextEncoder().encode('hi')))}`),
      /file name/,
    ],
    ['name with bundled text', `${good}&tn=x.txt`, /file name for a bundled/],
    ['text not base64url', good.replace('t=b:moby-dick-heldout', 't=p:@@@@'), /base64url/],
    [
      'text not deflate',
      good.replace('t=b:moby-dick-heldout', `t=p:${b64url(new TextEncoder().encode('plain, not deflated!'))}`),
      /damaged/,
    ],
    [
      'text cut short',
      good.replace(
        't=b:moby-dick-heldout',
        `t=p:${b64url(deflateSync(new TextEncoder().encode('x'.repeat(5000) + 'abcdefghijklmnopqrstuvwxyz'.repeat(50))).subarray(0, 40))}`,
      ),
      /damaged/,
    ],
    [
      'text not UTF-8',
      good.replace('t=b:moby-dick-heldout', `t=p:${b64url(deflateSync(new Uint8Array([0xff, 0xfe, 0x41])))}`),
      /UTF-8/,
    ],
    [
      'empty text',
      good.replace('t=b:moby-dick-heldout', `t=p:${b64url(deflateSync(new TextEncoder().encode('  \n ')))}`),
      /empty/,
    ],
  ];
  for (const [name, hash, pattern] of cases) {
    it(name, () => {
      refused(hash, pattern);
    });
  }

  it('refuses an over-long link before parsing it', () => {
    refused(`v1&m=b:x&t=b:y&L=2&n=1&${'a'.repeat(MAX_HASH_CHARS)}`, /too long/);
  });

  it('stops a compression bomb', () => {
    const bomb = deflateSync(new Uint8Array(50_000_000), { level: 9 });
    expect(bomb.length).toBeLessThan(MAX_HASH_CHARS);
    const t0 = performance.now();
    refused(good.replace('t=b:moby-dick-heldout', `t=p:${b64url(bomb)}`), /longer than/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses a link from a future version, saying so', () => {
    const e = refused(good.replace('v1', 'v4'), /newer DropLab.*v4.*v3/);
    expect(e.details.version).toBe(4);
    refused(`v99&whatever=${encodeURIComponent('{"future":true}')}`, /newer DropLab/);
  });

  it('is all or nothing: a valid prefix with one bad field gives no experiment at all', () => {
    let result: unknown = 'untouched';
    try {
      result = decodeExperiment(`${good}&x=cos`);
    } catch {
      // refused
    }
    expect(result).toBe('untouched');
  });
});

describe('share link: hostile content', () => {
  const xss = [
    '<img src=x onerror=alert(1)>',
    '"><script>alert(1)</script>',
    'javascript:alert(1)',
    '\u202Eevil',
    'a\u0000b',
    '`$' + '{alert(1)}`',
    'x\\y',
  ];
  for (const s of xss) {
    it(`refuses markup or control characters in names: ${JSON.stringify(s)}`, () => {
      const enc = encodeURIComponent(s);
      refused(`v1&m=b:${enc}&t=b:moby-dick-heldout&L=256&n=8`);
      refused(`v1&m=h:${enc}&t=b:moby-dick-heldout&L=256&n=8`);
      if (!/^javascript:/.test(s)) refused(`v1&m=l:${enc}&t=b:moby-dick-heldout&L=256&n=8`);
      refused(`v1&m=b:droplab-byte-12l&t=b:${enc}&L=256&n=8`);
    });
  }

  it('keeps hostile pasted text as plain text (it is data, never markup)', () => {
    const text = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const e: Experiment = { ...base, text: { kind: 'paste', text } };
    const d = decodeExperiment(encodeExperiment(e));
    expect(d.text).toEqual({ kind: 'paste', text });
  });

  it('does not pollute prototypes with __proto__ fields', () => {
    refused(`${encodeExperiment(base)}&__proto__=1`, /does not know/);
    refused(`${encodeExperiment(base)}&constructor=1`, /does not know/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('share link: checked against the model', () => {
  it('accepts indices inside the model', () => {
    expect(() => checkExperimentAgainstModel(base, fakeSpec(12), 'the model')).not.toThrow();
  });
  it('refuses a layer past the last one, naming it', () => {
    const e = { ...base, drops: { attn: [3, 12], mlp: [] } };
    expect(() => checkExperimentAgainstModel(e, fakeSpec(12), 'droplab-byte-12l')).toThrow(
      /attention layer 12.*only 12 layers \(0 to 11\)/,
    );
  });
  it('refuses a window longer than the model supports', () => {
    expect(() => checkExperimentAgainstModel({ ...base, seqLen: 1024 }, fakeSpec(12), 'm')).toThrow(/1024.*512/);
  });
});

describe('share link: any local folder or file name stays shareable (issue 9 item 10)', () => {
  const odd = [
    'my <model>',
    'say "hi"',
    'back`tick',
    'C:\\models\\x',
    'bell\u0007tab\tnl\n',
    '\u202Eevil',
    '  spaced  ',
    'x'.repeat(300),
    '\ud83d\ude00'.repeat(70),
    'lone\ud800',
    '\u0001\u0002',
  ];
  for (const name of odd) {
    it(`encodes a local folder named ${JSON.stringify(name.slice(0, 30))} in its safe form, which decodes`, () => {
      const e: Experiment = {
        ...base,
        model: { kind: 'local', name },
        text: { kind: 'upload', name, text: 'Call me Ishmael.' },
      };
      const h = encodeExperiment(e);
      const back = decodeExperiment(h);
      expect(back.model).toEqual({ kind: 'local', name: linkSafeName(name) });
      expect(back.text).toEqual({ kind: 'upload', name: linkSafeName(name), text: 'Call me Ishmael.' });
      expect(back.drops).toEqual(e.drops);
      // The safe form is a fixed point: encoding the decoded experiment gives the same link.
      expect(encodeExperiment(back)).toBe(h);
    });
  }

  it('replaces exactly the characters a link name cannot have, and keeps the rest', () => {
    expect(linkSafeName('my <model> "v2" `x` \\ y\u0007')).toBe('my _model_ _v2_ _x_ _ y_');
    expect(linkSafeName('  padded\t')).toBe('padded_');
    expect(linkSafeName('\u0000')).toBe('_');
    expect(linkSafeName('Llama-3.2 1B (ours) é 模型')).toBe('Llama-3.2 1B (ours) é 模型');
    expect(linkSafeName('x'.repeat(300))).toHaveLength(120);
    expect(linkSafeName('\ud83d\ude00'.repeat(70))).toBe('\ud83d\ude00'.repeat(60));
  });
});

describe('share link: classroom mode (issue 10 item 2), v2', () => {
  it('is written as c=1 in a v2 link only when on; a link without it stays v1 as before', () => {
    expect(encodeExperiment(base).startsWith('v1&')).toBe(true);
    const h = encodeExperiment({ ...base, classroom: true });
    expect(h).toBe('v2&m=b:droplab-byte-12l&da=3,5,11&dm=7&t=b:moby-dick-heldout&L=256&n=8&x=cos&c=1');
    expect(decodeExperiment(h)).toEqual({ ...base, classroom: true });
    expect(decodeExperiment(h.replace('&c=1', '').replace('v2', 'v1'))).toEqual(base);
    expect(decodeExperiment(h.replace('&c=1', ''))).toEqual(base); // a v2 link without c says nothing about it
  });

  it('existing v1 links read as before; c in a v1 link, or any other value, is refused', () => {
    expect(decodeExperiment('v1&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8')).toEqual({
      ...base,
      drops: { attn: [], mlp: [] },
      metric: 'cosine',
    });
    refused('v1&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&c=1', /"c" needs link format v2/);
    refused('v2&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&c=0', /classroom field must be 1/);
    refused('v2&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&c=1&c=1', /twice/);
  });
});
