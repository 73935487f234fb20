import { describe, expect, it } from 'vitest';
import { distinct2, whitespaceTokens } from '../../src/eval';

describe('distinct2', () => {
  it('is unique bigrams / total bigrams', () => {
    // (a,b) (b,a) (a,b): 2 distinct of 3
    expect(distinct2(['a b a b'])).toBeCloseTo(2 / 3, 12);
    // (the,cat) (cat,sat) | (the,cat) (cat,ran): 3 distinct of 4, pooled over texts
    expect(distinct2(['the cat sat', 'the cat ran'])).toBe(0.75);
    // all different → 1; one repeated bigram → 1/3
    expect(distinct2(['one two three four'])).toBe(1);
    expect(distinct2(['x y', 'x y', 'x y'])).toBeCloseTo(1 / 3, 12);
  });

  it('never forms a bigram across two texts', () => {
    // (a,b) | (b,c) → 2/2; joined text would add (b,b)
    expect(distinct2(['a b', 'b c'])).toBe(1);
    expect(distinct2(['a b b c'])).toBe(1);
    expect(distinct2(['a a', 'a a'])).toBe(0.5);
  });

  it('splits on runs of whitespace and keeps case and punctuation', () => {
    expect(whitespaceTokens('  a\tb\n\n a  ')).toEqual(['a', 'b', 'a']);
    expect(whitespaceTokens('   ')).toEqual([]);
    // (a,b) (b,a): 2/2
    expect(distinct2(['  a\tb\n\n a  '])).toBe(1);
    // (Yes,yes) (yes,Yes) (Yes,yes): 2/3 — case-sensitive
    expect(distinct2(['Yes yes Yes yes'])).toBeCloseTo(2 / 3, 12);
    // "no," and "no" differ: (no,,no) (no,no,) → 2/2
    expect(distinct2(['no, no no,'])).toBe(1);
  });

  it('accepts pre-tokenized texts, tokens compared exactly', () => {
    // ("a b","c") and ("a","b c") are different bigrams even though both join to "a b c"
    expect(distinct2([['a b', 'c'], ['a', 'b c']])).toBe(1);
    expect(distinct2([['▁the', '▁cat'], ['▁the', '▁cat']])).toBe(0.5);
  });

  it('is 0 when there is no bigram', () => {
    expect(distinct2([])).toBe(0);
    expect(distinct2([''])).toBe(0);
    expect(distinct2(['one', '  ', 'two'])).toBe(0);
    expect(distinct2([[], ['solo']])).toBe(0);
  });

  it('rejects bad inputs', () => {
    expect(() => distinct2([1 as unknown as string])).toThrow(/distinct2: texts\[0\] is neither a string nor an array of token strings/);
    expect(() => distinct2('a b' as unknown as string[])).toThrow(/distinct2: texts is not an array/);
  });
});
