/**
 * Per-token texts on the bundled byte-level model (one token per UTF-8 byte): a character split over
 * several byte tokens belongs to the token of its last byte, the others are empty; never U+FFFD for text
 * that decodes cleanly (issue 10, item 4; docs/VIEWS.md "Per-token view").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import { Tokenizer } from '../../../src/engine/tokenizer';
import { tokenCells, tokenDomain } from '../../../src/state/token-view';

const ROOT = join(__dirname, '../../..');
const bundled = () => Tokenizer.fromFiles(folderFiles(join(ROOT, 'public/models/droplab-byte-12l')));

/** What each byte token should show: the character on its last byte, '' on the others. */
function expected(text: string): string[] {
  const out: string[] = [];
  for (const ch of text) {
    const n = new TextEncoder().encode(ch).length;
    for (let i = 1; i < n; i++) out.push('');
    out.push(ch);
  }
  return out;
}

describe('per-token texts of multi-byte UTF-8 (bundled byte-level tokenizer)', () => {
  it('em dash, accented letters, CJK and emoji: the character on its last byte, empty before it', async () => {
    const tok = await bundled();
    const text = 'The Chase—First Day. Café naïve Ahab, 日本語 🐋🚢 “done”…';
    const ids = tok.encode(text);
    expect(ids).toEqual(Array.from(new TextEncoder().encode(text))); // one token per byte
    const pieces = tok.tokenStrings(ids);
    expect(pieces).toEqual(expected(text));
    expect(pieces.join('')).toBe(text);
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    // "—" is E2 80 94: two empty cells, then the dash.
    const dash = text.indexOf('—');
    const at = new TextEncoder().encode(text.slice(0, dash)).length;
    expect(pieces.slice(at - 1, at + 4)).toEqual(['e', '', '', '—', 'F']);
    // 🐋 is four bytes.
    const whale = new TextEncoder().encode(text.slice(0, text.indexOf('🐋'))).length;
    expect(pieces.slice(whale, whale + 4)).toEqual(['', '', '', '🐋']);
  });

  it('the default text (Moby-Dick held-out) reads "The Chase—First Day." with no U+FFFD in its cells', async () => {
    const tok = await bundled();
    const text = readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8').slice(0, 400);
    const ids = tok.encode(text);
    const pieces = tok.tokenStrings(ids.slice(0, 256), ids.slice(256, 259));
    const cells = tokenCells(
      { kind: 'attn', layer: 0, tokens: pieces, delta: pieces.map(() => 0.1) },
      tokenDomain([0.1], 'linear'),
    );
    const shown = cells.map((c) => c.shown).join('');
    expect(shown.startsWith('CHAPTER 133. The Chase—First Day.↵')).toBe(true);
    expect(shown).not.toContain('\uFFFD');
  });

  it('a character cut by the end of the window: empty cells when the following ids are given', async () => {
    const tok = await bundled();
    const ids = tok.encode('ab—c');
    expect(tok.tokenStrings(ids.slice(0, 3), ids.slice(3))).toEqual(['a', 'b', '']);
    expect(tok.tokenStrings(ids.slice(0, 4), ids.slice(4))).toEqual(['a', 'b', '', '']);
    // Starting mid-character (never window 0, which starts the text): the stray bytes decode as U+FFFD.
    expect(tok.tokenStrings(ids.slice(3), [])).toEqual(['\uFFFD', '\uFFFD', 'c']);
  });

  it('bytes that are invalid whatever follows still show U+FFFD, as the text decodes', async () => {
    const tok = await bundled();
    // "a", a lone lead byte E2 followed by "a" (never a character), then a stray continuation byte 0x80.
    const pieces = tok.tokenStrings([0x61, 0xe2, 0x61, 0x80, 0x62]);
    expect(pieces.join('')).toBe(tok.decode([0x61, 0xe2, 0x61, 0x80, 0x62]));
    expect(pieces).toEqual(['a', '\uFFFD', 'a', '\uFFFD', 'b']);
  });
});
