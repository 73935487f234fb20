// A small RFC 4180 CSV reader that keeps line numbers, so importers can say which line is wrong.
// (No CSV package is among the project's dependencies; this one is ~100 lines and tested.)
//
//  - fields separated by the delimiter (default ","), records by LF, CRLF or a lone CR;
//  - a field that starts with a double quote is quoted: it runs to the next unpaired quote, may hold
//    delimiters and newlines, and "" inside it is one quote;
//  - a quote inside an unquoted field is kept as a literal character (as Python's csv module does);
//  - text between a closing quote and the next delimiter (`"a"b,`) makes the record malformed; it is
//    reported once with its first line and skipped. When reading that quote as a literal (a stray,
//    undoubled quote) gives a multi-line record with the header's number of fields, the whole record is
//    skipped, so the rest of it never comes back as phantom records; otherwise reading resumes at the
//    next line;
//  - an unterminated quoted field is reported with the line it starts on (it runs to the end of the
//    file, so nothing after it can be read);
//  - a UTF-8 byte-order mark is dropped; a line with nothing on it is not a record.

export interface CsvRecord {
  /** 1-based line on which the record starts */
  line: number;
  fields: string[];
}

export interface CsvIssue {
  line: number;
  reason: string;
}

export interface CsvResult {
  records: CsvRecord[];
  errors: CsvIssue[];
}

/** Line breaks in a piece of text: LF, CRLF and lone CR each count once. */
function lineBreaks(t: string): number {
  let k = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 10) k++;
    else if (c === 13 && t.charCodeAt(i + 1) !== 10) k++;
  }
  return k;
}

interface RawRecord {
  fields: string[];
  /** index just past the record (and its line break) */
  next: number;
  /** the record's last line */
  end: number;
  /** the first problem, or null */
  bad: string | null;
  /** a stray quote was read as a literal quote (lenient mode only) */
  stray: boolean;
  unterminated: boolean;
}

/**
 * One record from s[i], which starts on `line`. Strict: text after a closing quote marks the record bad and
 * the record ends at that line. Lenient: a quote inside a quoted field that is not followed by the delimiter
 * or a line break is a literal (stray) quote and the field runs on to its real closing quote.
 */
function readRecord(s: string, i: number, line: number, delimiter: string, lenient: boolean): RawRecord {
  const n = s.length;
  const fields: string[] = [];
  let stray = false;
  for (;;) {
    let value = '';
    if (s[i] === '"') {
      const open = line;
      i++;
      for (;;) {
        const j = s.indexOf('"', i);
        if (j < 0) return { fields, next: n, end: line, bad: `unterminated quoted field (opened on line ${open}, runs to the end of the file)`, stray, unterminated: true };
        const piece = s.slice(i, j);
        value += piece;
        line += lineBreaks(piece);
        if (s[j + 1] === '"') {
          value += '"';
          i = j + 2;
          continue;
        }
        const after = s[j + 1];
        if (after !== undefined && after !== delimiter && after !== '\n' && after !== '\r') {
          if (!lenient) {
            // skip the rest of this line
            let k = j + 1;
            while (k < n && s[k] !== '\n' && s[k] !== '\r') k++;
            if (s[k] === '\r' && s[k + 1] === '\n') k += 2;
            else if (k < n) k++;
            return { fields, next: k, end: line, bad: `unexpected text after a closing quote in field ${fields.length + 1}`, stray, unterminated: false };
          }
          stray = true;
          value += '"';
          i = j + 1;
          continue;
        }
        i = j + 1;
        break;
      }
    } else {
      const from = i;
      while (i < n && s[i] !== delimiter && s[i] !== '\n' && s[i] !== '\r') i++;
      value = s.slice(from, i);
    }
    fields.push(value);
    if (i < n && s[i] === delimiter) {
      i++;
      continue;
    }
    const end = line;
    if (i < n) i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
    return { fields, next: i, end, bad: null, stray, unterminated: false };
  }
}

export function parseCsv(text: string, delimiter = ','): CsvResult {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') throw new Error('parseCsv: bad delimiter');
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const errors: CsvIssue[] = [];
  const n = s.length;
  let i = 0;
  let line = 1;

  while (i < n) {
    const start = line;
    // an empty line is not a record
    if (s[i] === '\n' || s[i] === '\r') {
      i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const strict = readRecord(s, i, line, delimiter, false);
    if (strict.unterminated) {
      errors.push({ line: start, reason: strict.bad! });
      return { records, errors };
    }
    if (strict.bad) {
      // A stray quote. Read with the quote as a literal, the record may span several lines and then has the
      // header's number of fields: skip it whole, so the rest of it does not come back as phantom records.
      // Otherwise (an unbalanced quote on one line) skip just that line.
      const lenient = readRecord(s, i, line, delimiter, true);
      const whole = !lenient.bad && records.length > 0 && lenient.fields.length === records[0].fields.length && lenient.end > start;
      const r = whole ? lenient : strict;
      errors.push({ line: start, reason: whole ? `a stray quote inside a quoted field (a quote in a quoted field must be doubled); the record, lines ${start}–${r.end}, is skipped whole` : strict.bad! });
      i = r.next;
      line = r.end + 1;
      continue;
    }
    records.push({ line: start, fields: strict.fields });
    i = strict.next;
    line = strict.end + 1;
  }
  return { records, errors };
}

/** One field, quoted when it needs to be (for writing fixtures and exports). */
export function csvField(value: string, delimiter = ','): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[], delimiter = ','): string {
  return values.map((v) => csvField(v, delimiter)).join(delimiter);
}
