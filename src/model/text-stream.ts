// Streaming decoded text at character boundaries. Byte-level BPE tokens can end inside a multi-byte UTF-8
// character (an emoji, most CJK, many accents): decoding ids up to such a token ends in U+FFFD, a character
// that is not in the answer. The stream holds those bytes back until the character is whole, so every text
// shown is a prefix of the next one and of the final text.
import type { Tokenizer } from './tokenizer';

const REPLACEMENT = '\uFFFD';

/** text without the replacement characters at its end (a character not yet complete) */
export function wholeCharacters(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === REPLACEMENT) end--;
  return text.slice(0, end);
}

export class TextStream {
  private ids: number[] = [];
  /** the text shown so far: only whole characters */
  text = '';

  constructor(private readonly tokenizer: Pick<Tokenizer, 'decode'>) {}

  /** Add a token; returns the text now shown (unchanged while a character is incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const next = wholeCharacters(this.tokenizer.decode(this.ids));
    // a tokenizer whose decode rewrites earlier text (cleanup of spaces) could shrink it: keep what was shown
    if (next.startsWith(this.text)) this.text = next;
    return this.text;
  }
}
