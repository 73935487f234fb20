// The CSV reader: RFC 4180 quoting, line numbers, malformed records.
import { describe, it, expect } from 'vitest';
import { csvLine, parseCsv } from '../../src/data';

describe('parseCsv', () => {
  it('reads plain and quoted fields with embedded commas, quotes and newlines', () => {
    const text = 'a,b,c\n1,"x, y","say ""hi"""\n2,"two\nlines",z\n';
    const { records, errors } = parseCsv(text);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', 'z'] },
    ]);
  });

  it('handles CRLF, lone CR, a BOM, empty fields, blank lines and a missing final newline', () => {
    const { records, errors } = parseCsv('\uFEFFa,b\r\n,\r\n\r\n"q\r\nr",2\rlast,');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['', ''] },
      { line: 4, fields: ['q\r\nr', '2'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });

  it('keeps a quote inside an unquoted field, as Python’s csv does', () => {
    expect(parseCsv('5" screen,ok').records[0].fields).toEqual(['5" screen', 'ok']);
  });

  it('reports text after a closing quote with its line and goes on with the next line', () => {
    const { records, errors } = parseCsv('a,b\n"x"y,1\nc,d\n');
    expect(errors).toEqual([{ line: 2, reason: 'unexpected text after a closing quote in field 1' }]);
    expect(records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('reports an unterminated quote at the line it opens on', () => {
    const { records, errors } = parseCsv('a,b\n1,2\n3,"open\nstill open\n');
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(errors.length).toBe(1);
    expect(errors[0].line).toBe(3);
    expect(errors[0].reason).toMatch(/unterminated quoted field/);
  });

  it('counts lines across multi-line fields correctly', () => {
    const { records } = parseCsv('h\n"1\n2\n3"\nnext\n"a\r\nb"\nlast');
    expect(records.map((r) => r.line)).toEqual([1, 2, 5, 6, 8]);
  });

  it('other delimiters; round trip through csvLine', () => {
    expect(parseCsv('a;b\n1;"2;3"', ';').records[1].fields).toEqual(['1', '2;3']);
    const values = ['plain', 'with, comma', 'with "quotes"', 'two\nlines', ' padded ', ''];
    expect(parseCsv(csvLine(values)).records[0].fields).toEqual(values);
    expect(() => parseCsv('x', '"')).toThrow();
  });
});
