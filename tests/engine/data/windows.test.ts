import { describe, expect, it } from 'vitest';
import { buildWindows, splitDocuments } from '../../../src/engine/data';
import { TextTooShortError } from '../../../src/engine/errors';

/** A toy tokenizer: one token per character (its code). Never adds special tokens. */
const chars = (s: string) => [...s].map((c) => c.codePointAt(0)!);
const EOS = 0;

describe('buildWindows', () => {
  it('appends EOS to every document, concatenates, cuts into windows and drops the remainder', () => {
    // "abc" EOS "de" EOS = 7 tokens -> seqLen 3: two windows, 1 token dropped
    const w = buildWindows(['abc', 'de'], chars, EOS, 3, 5);
    expect([...w.ids]).toEqual([97, 98, 99, 0, 100, 101]);
    expect(w).toMatchObject({ windows: 2, seqLen: 3, textTokens: 7, availableWindows: 2 });
  });

  it('takes the first N windows when more exist', () => {
    const w = buildWindows(['abcdefghij'], chars, EOS, 2, 3);
    expect([...w.ids]).toEqual([97, 98, 99, 100, 101, 102]);
    expect(w).toMatchObject({ windows: 3, textTokens: 11, availableWindows: 5 });
  });

  it('uses every available window when fewer than N exist, and says so', () => {
    const w = buildWindows(['abcde'], chars, EOS, 2, 10);
    expect(w.windows).toBe(3);
    expect(w.availableWindows).toBe(3);
    expect(w.ids.length).toBe(6);
  });

  it('a window exactly as long as the text (with its EOS) is enough', () => {
    const w = buildWindows(['abc'], chars, EOS, 4, 1);
    expect([...w.ids]).toEqual([97, 98, 99, 0]);
  });

  it('throws TextTooShortError naming both counts when not even one window fits', () => {
    const f = () => buildWindows(['ab', 'c'], chars, EOS, 6, 1);
    expect(f).toThrow(TextTooShortError);
    expect(f).toThrow(/5 tokens.*needs 6/);
    try {
      f();
    } catch (e) {
      expect((e as TextTooShortError).code).toBe('TEXT_TOO_SHORT');
      expect((e as TextTooShortError).details).toEqual({ textTokens: 5, seqLen: 6 });
    }
    expect(() => buildWindows([], chars, EOS, 2, 1)).toThrow(TextTooShortError);
  });

  it('validates seqLen, windows and the tokenizer output', () => {
    expect(() => buildWindows(['abc'], chars, EOS, 1, 1)).toThrow(/at least 2/);
    expect(() => buildWindows(['abc'], chars, EOS, 2.5, 1)).toThrow(RangeError);
    expect(() => buildWindows(['abc'], chars, EOS, 2, 0)).toThrow(/at least 1/);
    expect(() => buildWindows(['abc'], chars, EOS, 2, Number.NaN)).toThrow(RangeError);
    expect(() => buildWindows(['abc'], chars, -1, 2, 1)).toThrow(/EOS/);
    expect(() => buildWindows(['abc'], () => [1, -2], EOS, 2, 1)).toThrow(/invalid token id/);
  });

  it('calls encode once per document, on the text alone', () => {
    const seen: string[] = [];
    buildWindows(
      ['one', 'two'],
      (s) => {
        seen.push(s);
        return chars(s);
      },
      EOS,
      2,
      1,
    );
    expect(seen).toEqual(['one', 'two']);
  });
});

describe('splitDocuments', () => {
  it('one document when there are no separators (trimmed)', () => {
    expect(splitDocuments('  Call me Ishmael.\nSome years ago.\n\n')).toEqual(['Call me Ishmael.\nSome years ago.']);
  });

  it('splits on form feeds', () => {
    expect(splitDocuments('first\fsecond\n\f third')).toEqual(['first', 'second', 'third']);
  });

  it('splits on lines holding only <|endoftext|>, with CRLF line endings too', () => {
    expect(splitDocuments('a b\n<|endoftext|>\nc d\r\n  <|endoftext|> \r\ne')).toEqual(['a b', 'c d', 'e']);
  });

  it('keeps <|endoftext|> inside a line as text', () => {
    expect(splitDocuments('x <|endoftext|> y')).toEqual(['x <|endoftext|> y']);
  });

  it('drops blank documents; an empty text gives none', () => {
    expect(splitDocuments('<|endoftext|>\n\f\n<|endoftext|>\nonly\n<|endoftext|>')).toEqual(['only']);
    expect(splitDocuments(' \n\t ')).toEqual([]);
  });
});
