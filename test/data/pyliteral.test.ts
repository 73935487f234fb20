// The Python literal parser: what repr() writes, and what it must refuse.
import { describe, it, expect } from 'vitest';
import { PyLiteralError, dictToRecord, parsePyLiteral, type PyDict } from '../../src/data';

const p = parsePyLiteral;

describe('parsePyLiteral', () => {
  it('constants and numbers', () => {
    expect(p('None')).toBeNull();
    expect(p('True')).toBe(true);
    expect(p('False')).toBe(false);
    expect(p('0')).toBe(0);
    expect(p('-12')).toBe(-12);
    expect(p('+3')).toBe(3);
    expect(p('0.25')).toBe(0.25);
    expect(p('.5')).toBe(0.5);
    expect(p('5.')).toBe(5);
    expect(p('1e-3')).toBe(0.001);
    expect(p('-2.5E+2')).toBe(-250);
    expect(p('1_000_000')).toBe(1e6);
    expect(p('0x1f')).toBe(31);
    expect(p('0o17')).toBe(15);
    expect(p('0b101')).toBe(5);
    expect(p('- 4')).toBe(-4);
    expect(Number.isNaN(p('nan') as number)).toBe(true);
    expect(Number.isNaN(p('-nan') as number)).toBe(true);
    expect(p('inf')).toBe(Infinity);
    expect(p('-inf')).toBe(-Infinity);
    expect(p('  42  ')).toBe(42);
  });

  it('strings with either quote, escapes, prefixes, triple quotes and concatenation', () => {
    expect(p(`'single'`)).toBe('single');
    expect(p(`"double"`)).toBe('double');
    expect(p(`"Don't know"`)).toBe("Don't know");
    expect(p(`'Don\\'t know'`)).toBe("Don't know");
    expect(p(`'say "hi"'`)).toBe('say "hi"');
    expect(p(`"say \\"hi\\""`)).toBe('say "hi"');
    expect(p(`'a\\nb\\tc\\\\d'`)).toBe('a\nb\tc\\d');
    expect(p(`'\\x41\\u00e9\\U0001F600\\101\\0'`)).toBe('Aé😀A\0');
    expect(p(`'unknown \\d escape'`)).toBe('unknown \\d escape');
    expect(p(`'line\\\ncontinued'`)).toBe('linecontinued');
    expect(p(`r'raw \\n \\' stays'`)).toBe("raw \\n \\' stays");
    expect(p(`u'unicode'`)).toBe('unicode');
    expect(p(`'''triple 'quoted'\nstring'''`)).toBe("triple 'quoted'\nstring");
    expect(p(`"""x"y"""`)).toBe('x"y');
    expect(p(`'a' "b"  'c'`)).toBe('abc');
    expect(p(`'Côte d’Ivoire'`)).toBe('Côte d’Ivoire');
    expect(p(`''`)).toBe('');
  });

  it('lists, tuples and dicts, nested, with trailing commas', () => {
    expect(p(`['Yes', 'No', "Don't know"]`)).toEqual(['Yes', 'No', "Don't know"]);
    expect(p(`[]`)).toEqual([]);
    expect(p(`(1, 2,)`)).toEqual([1, 2]);
    expect(p(`()`)).toEqual([]);
    expect(p(`[[1, [2]], (3,)]`)).toEqual([[1, [2]], [3]]);
    const d = p(`{'a': [0.1, 0.9], "b": {'c': None}, 1: True, None: 'n',}`) as PyDict;
    expect(d).toBeInstanceOf(Map);
    expect([...d.keys()]).toEqual(['a', 'b', 1, null]);
    expect(d.get('a')).toEqual([0.1, 0.9]);
    expect((d.get('b') as PyDict).get('c')).toBeNull();
    expect(p('{}')).toEqual(new Map());
    // a repeated key keeps the last value, as Python does
    expect((p(`{'k': 1, 'k': 2}`) as PyDict).get('k')).toBe(2);
  });

  it('GlobalOpinionQA’s defaultdict repr and other wrappers', () => {
    const d = p(`defaultdict(<class 'list'>, {'Nigeria': [0.1, 0.9], 'Germany (Old national sample)': [0.5, 0.5]})`) as PyDict;
    expect(dictToRecord(d)).toEqual({ Nigeria: [0.1, 0.9], 'Germany (Old national sample)': [0.5, 0.5] });
    expect(p(`defaultdict(<class 'list'>, {})`)).toEqual(new Map());
    expect(p(`defaultdict(list)`)).toEqual(new Map());
    expect(p(`collections.defaultdict(<class 'list'>, {'x': []})`)).toEqual(new Map([['x', []]]));
    expect(p(`OrderedDict([('a', 1), ('b', 2)])`)).toEqual(new Map<string, number>([['a', 1], ['b', 2]]));
    expect(p(`[np.float64(0.25), numpy.int64(3), float('nan'), float('-inf'), float("1e2")]`)).toEqual([0.25, 3, NaN, -Infinity, 100]);
  });

  it('dictToRecord keeps "__proto__" as an ordinary key', () => {
    const r = dictToRecord(p(`{'__proto__': 1, 'constructor': 2}`) as PyDict);
    expect(Object.keys(r)).toEqual(['__proto__', 'constructor']);
    expect(r.__proto__).toBe(1);
  });

  it('refuses anything that is not a literal, with the offset of the problem', () => {
    const bad: [string, RegExp][] = [
      [`__import__('os').system('rm -rf /')`, /calls are not allowed/],
      [`eval('1')`, /calls are not allowed/],
      [`os.system`, /unknown name/],
      [`foo`, /unknown name "foo"/],
      [`[1, 2`, /unclosed "\["/],
      [`[1 2]`, /expected "," or "\]"/],
      [`{'a' 1}`, /expected ":"/],
      [`{'a', 'b'}`, /sets are not supported/],
      [`{[1]: 2}`, /dict keys must be/],
      [`'unterminated`, /unterminated string/],
      [`'new\nline'`, /newline inside a single-quoted string/],
      [`b'bytes'`, /bytes literals are not supported/],
      [`'\\N{BULLET}'`, /\\N\{…\} escapes are not supported/],
      [`'\\x4'`, /needs 2 hex digits/],
      [`1 2`, /unexpected "2" after the value/],
      [`12abc`, /unexpected "a" after a number/],
      [`1__0`, /misplaced "_"/],
      [``, /expected a value but the text ended/],
      [`defaultdict(<class 'list'>, [1])`, /must wrap a dict/],
      [`np.float64('x')`, /needs a number/],
      [`@`, /unexpected character "@"/],
    ];
    for (const [text, re] of bad) {
      let err: unknown;
      try {
        p(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(PyLiteralError);
      expect((err as Error).message, text).toMatch(re);
      expect((err as PyLiteralError).offset, text).toBeGreaterThanOrEqual(0);
    }
    try {
      p(`[1, 2, x]`);
    } catch (e) {
      expect((e as PyLiteralError).offset).toBe(7);
    }
  });

  it('reads a long selections repr quickly', () => {
    const countries = Array.from({ length: 100 }, (_, i) => `'Country ${i}': [${Array.from({ length: 5 }, () => Math.random().toFixed(6)).join(', ')}]`);
    const text = `defaultdict(<class 'list'>, {${countries.join(', ')}})`;
    const t = performance.now();
    for (let i = 0; i < 50; i++) expect((p(text) as PyDict).size).toBe(100);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
