// A small RFC 4180 CSV reader that keeps line numbers, so importers can say which line is wrong.
// (No CSV package is among the project's dependencies; this one is ~100 lines and tested.)
//
//  - fields separated by the delimiter (default ","), records by LF, CRLF or a lone CR;
//  - a field that starts with a double quote is quoted: it runs to the next unpaired quote, may hold
//    delimiters and newlines, and "" inside it is one quote;
//  - a quote inside an unquoted field is kept as a literal character (as Python's csv module does);
//  - text between a closing quote and the next delimiter (`"a"b,`) makes the record malformed: it is
//    reported with its line and skipped, and reading resumes at the next line;
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

export function parseCsv(text: string, delimiter = ','): CsvResult {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') throw new Error('parseCsv: bad delimiter');
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const errors: CsvIssue[] = [];
  const n = s.length;
  let i = 0;
  let line = 1;

  // skip to just past the next line break (used after an error)
  const skipLine = () => {
    while (i < n && s[i] !== '\n' && s[i] !== '\r') i++;
    if (s[i] === '\r' && s[i + 1] === '\n') i += 2;
    else if (i < n) i++;
    line++;
  };

  while (i < n) {
    const start = line;
    // an empty line is not a record
    if (s[i] === '\n' || s[i] === '\r') {
      i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    let bad: string | null = null;
    for (;;) {
      // one field
      let value = '';
      if (s[i] === '"') {
        i++;
        let closed = false;
        for (;;) {
          const j = s.indexOf('"', i);
          if (j < 0) {
            i = n;
            break;
          }
          const piece = s.slice(i, j);
          value += piece;
          line += lineBreaks(piece);
          if (s[j + 1] === '"') {
            value += '"';
            i = j + 2;
            continue;
          }
          i = j + 1;
          closed = true;
          break;
        }
        if (!closed) {
          errors.push({ line: start, reason: `unterminated quoted field (opened on line ${start}, runs to the end of the file)` });
          return { records, errors };
        }
        if (i < n && s[i] !== delimiter && s[i] !== '\n' && s[i] !== '\r') {
          bad = `unexpected text after a closing quote in field ${fields.length + 1}`;
        }
      } else {
        const from = i;
        while (i < n && s[i] !== delimiter && s[i] !== '\n' && s[i] !== '\r') i++;
        value = s.slice(from, i);
      }
      if (bad) break;
      fields.push(value);
      if (i < n && s[i] === delimiter) {
        i++;
        continue;
      }
      // end of record
      if (i < n) {
        i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    if (bad) {
      errors.push({ line: start, reason: bad });
      skipLine();
      continue;
    }
    records.push({ line: start, fields });
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
