// Survey files come as bytes in whatever encoding a spreadsheet or a script wrote. Decode them so that
// nothing is read silently wrong: UTF-8 (with or without a byte-order mark) as is; UTF-16 (either byte
// order, with a BOM, or without one when every other byte is zero) converted, with a note; anything that is
// not valid UTF-8 decoded as Windows-1252 (the usual spreadsheet export on Windows), with a warning that
// names it. A U+FFFD already in valid UTF-8 is reported with its line: it means an earlier tool lost a
// character.

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
  /** what was converted or looks damaged, in words (empty for clean UTF-8) */
  warnings: string[];
}

function utf16WithoutBom(b: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(b.length - (b.length % 2), 4096);
  if (n < 4) return null;
  let zeroEven = 0, zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) zeroEven++;
    if (b[i + 1] === 0) zeroOdd++;
  }
  const half = n / 2;
  if (zeroOdd > 0.4 * half && zeroEven < 0.05 * half) return 'utf-16le';
  if (zeroEven > 0.4 * half && zeroOdd < 0.05 * half) return 'utf-16be';
  return null;
}

function replacementLines(text: string, max = 5): number[] {
  const lines: number[] = [];
  let line = 1;
  for (let i = 0; i < text.length && lines.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 0xfffd && lines.at(-1) !== line) lines.push(line);
  }
  return lines;
}

/** Decode a survey file's bytes (see the header comment); `name` goes into the warnings. */
export function decodeSurveyBytes(bytes: Uint8Array, name = 'the file'): DecodedText {
  const warnings: string[] = [];
  const b = bytes;
  const bom16 = b.length >= 2 && b[0] === 0xff && b[1] === 0xfe ? 'utf-16le' : b.length >= 2 && b[0] === 0xfe && b[1] === 0xff ? 'utf-16be' : null;
  const guess16 = bom16 ?? utf16WithoutBom(b);
  if (guess16) {
    let text: string;
    try {
      text = new TextDecoder(guess16, { fatal: true }).decode(b);
    } catch {
      throw new Error(`${name} looks like ${guess16.toUpperCase()} but is not valid ${guess16.toUpperCase()}; save it as UTF-8`);
    }
    warnings.push(`${name} is ${guess16.toUpperCase()}${bom16 ? '' : ' (no byte-order mark)'}; converted to text`);
    return { text: text.replace(/^\uFEFF/, ''), encoding: guess16, warnings };
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b);
    const bad = replacementLines(text);
    if (bad.length) warnings.push(`${name} contains U+FFFD (a character an earlier tool could not decode) on line${bad.length > 1 ? 's' : ''} ${bad.join(', ')}${bad.length === 5 ? ' and maybe more' : ''}`);
    return { text: text.replace(/^\uFEFF/, ''), encoding: 'utf-8', warnings };
  } catch {
    const text = new TextDecoder('windows-1252').decode(b);
    // the first line with a byte ≥ 0x80, to show the user where to look
    let line = 1, at = 0;
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 10) line++;
      else if (b[i] >= 0x80) {
        at = line;
        break;
      }
    }
    warnings.push(`${name} is not UTF-8: read as Windows-1252 (first non-ASCII character on line ${at}); check names such as countries with accents, or save the file as UTF-8`);
    return { text, encoding: 'windows-1252', warnings };
  }
}
