// A parser for the Python literal syntax that `repr()` writes, for data files that store Python
// objects as text (GlobalOpinionQA's `selections` and `options` columns). It never evaluates
// anything: it reads a fixed grammar and rejects everything else with the offset of the problem.
//
// Accepted:
//   strings      '…' "…" '''…''' """…""", prefixes r/u (any case); escapes \\ \' \" \n \r \t \b \f \v
//                \a \0–\777 (octal) \xhh \uhhhh \Uhhhhhhhh and backslash-newline; an unknown escape
//                keeps its backslash (as Python does); adjacent strings concatenate ('a' 'b' → 'ab')
//   numbers      ints and floats with sign, fraction, exponent and _ separators; inf, nan (any sign);
//                hexadecimal/octal/binary ints (0x1f, 0o17, 0b101)
//   constants    None → null, True/False → booleans
//   containers   lists […] and tuples (…) → arrays; dicts {k: v} → Map (keys: str, number, bool,
//                None); trailing commas allowed
//   wrappers     defaultdict(<class 'list'>, {…}) → the dict; OrderedDict([(k, v), …]) → a Map;
//                numpy scalars np.float64(x) / numpy.int64(x) / … → the number; float('nan'),
//                float('inf'), float('-inf') → the number
// Not accepted: sets, bytes, complex numbers, \N{…} escapes, anything callable beyond the wrappers.

export type PyKey = string | number | boolean | null;
export type PyValue = PyKey | PyValue[] | PyDict;
export type PyDict = Map<PyKey, PyValue>;

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
  constructor(
    message: string,
    /** offset in the text (UTF-16 units) */
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

const NUMPY_SCALAR = /^(?:np|numpy)\.(?:float(?:16|32|64|128)?|int(?:8|16|32|64)?|uint(?:8|16|32|64)?|double|single|longdouble|bool_?)$/;

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    /** numbers come back as the text the file wrote ("1.0", "-2"), for labels that must read as written */
    readonly numbersAsText = false,
    readonly onDuplicateKey?: (key: PyKey) => void,
  ) {}

  fail(msg: string, at = this.i): never {
    throw new PyLiteralError(msg, at);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  peek(): string {
    return this.s[this.i] ?? '';
  }

  expect(ch: string): void {
    this.ws();
    if (this.s[this.i] !== ch) this.fail(this.i >= this.s.length ? `expected "${ch}" but the text ended` : `expected "${ch}", found "${this.s[this.i]}"`);
    this.i++;
  }

  value(): PyValue {
    this.ws();
    const c = this.peek();
    if (c === '') this.fail('expected a value but the text ended');
    if (c === '[') return this.seq('[', ']');
    if (c === '(') return this.seq('(', ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.strings();
    if (/[rRuU]/.test(c) && /["']/.test(this.s[this.i + 1] ?? '')) return this.strings();
    if (/[bB]/.test(c) && /["']/.test(this.s[this.i + 1] ?? '')) this.fail('bytes literals are not supported');
    if (/[0-9.+-]/.test(c)) {
      if (!this.numbersAsText) return this.number();
      const start = this.i;
      this.number();
      return this.s.slice(start, this.i).replace(/\s+/g, '');
    }
    if (/[A-Za-z_]/.test(c)) return this.name();
    return this.fail(`unexpected character "${c}"`);
  }

  seq(open: string, close: string): PyValue[] {
    this.expect(open);
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      if (this.peek() !== close) this.fail(this.i >= this.s.length ? `unclosed "${open}"` : `expected "," or "${close}", found "${this.peek()}"`);
    }
  }

  dict(): PyDict {
    this.expect('{');
    const out: PyDict = new Map();
    for (;;) {
      this.ws();
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      const at = this.i;
      const key = this.value();
      if (key !== null && typeof key === 'object') this.fail('dict keys must be strings, numbers, booleans or None', at);
      this.ws();
      if (this.peek() !== ':') {
        if (this.peek() === ',' || this.peek() === '}') this.fail('sets are not supported (expected ":" after a dict key)');
        this.fail(this.i >= this.s.length ? 'unclosed "{"' : `expected ":", found "${this.peek()}"`);
      }
      this.i++;
      if (out.has(key)) this.onDuplicateKey?.(key);
      out.set(key, this.value());
      this.ws();
      if (this.peek() === ',') {
        this.i++;
        continue;
      }
      if (this.peek() !== '}') this.fail(this.i >= this.s.length ? 'unclosed "{"' : `expected "," or "}", found "${this.peek()}"`);
    }
  }

  /** one or more adjacent string literals */
  strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.i;
      this.ws();
      const c = this.peek();
      if (c === '"' || c === "'" || (/[rRuU]/.test(c) && /["']/.test(this.s[this.i + 1] ?? ''))) out += this.string();
      else {
        this.i = save;
        return out;
      }
    }
  }

  string(): string {
    const start = this.i;
    let raw = false;
    if (/[rRuU]/.test(this.peek())) {
      raw = /[rR]/.test(this.peek());
      this.i++;
    }
    const q = this.peek();
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const delim = triple ? q.repeat(3) : q;
    this.i += delim.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string', start);
      const c = this.s[this.i];
      if (this.s.startsWith(delim, this.i)) {
        this.i += delim.length;
        return out;
      }
      if (!triple && (c === '\n' || c === '\r')) this.fail('newline inside a single-quoted string', start);
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e === undefined) this.fail('unterminated string', start);
        if (raw) {
          // a raw string keeps the backslash; it still stops the next character from ending the string
          out += c + e;
          this.i += 2;
          continue;
        }
        out += this.escape();
        continue;
      }
      out += c;
      this.i++;
    }
  }

  escape(): string {
    const at = this.i;
    const e = this.s[this.i + 1];
    this.i += 2;
    const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', a: '\x07' };
    if (e in simple) return simple[e];
    if (e === '\n') return '';
    if (e === '\r') {
      if (this.s[this.i] === '\n') this.i++;
      return '';
    }
    if (/[0-7]/.test(e)) {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(this.s[this.i] ?? '')) digits += this.s[this.i++];
      return String.fromCodePoint(parseInt(digits, 8));
    }
    const hex = (len: number) => {
      const h = this.s.slice(this.i, this.i + len);
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) this.fail(`bad \\${e} escape: needs ${len} hex digits`, at);
      this.i += len;
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff) this.fail(`\\${e} escape out of Unicode range`, at);
      return String.fromCodePoint(cp);
    };
    if (e === 'x') return hex(2);
    if (e === 'u') return hex(4);
    if (e === 'U') return hex(8);
    if (e === 'N') this.fail('\\N{…} escapes are not supported', at);
    return '\\' + e;
  }

  number(): number {
    const start = this.i;
    let sign = 1;
    while (this.peek() === '+' || this.peek() === '-') {
      if (this.peek() === '-') sign = -sign;
      this.i++;
      this.ws();
    }
    const rest = this.s.slice(this.i);
    const word = /^(inf|nan)(?![A-Za-z0-9_])/.exec(rest);
    if (word) {
      this.i += word[0].length;
      return word[1] === 'inf' ? sign * Infinity : NaN;
    }
    const based = /^0([xX][0-9a-fA-F_]+|[oO][0-7_]+|[bB][01_]+)(?![A-Za-z0-9_])/.exec(rest);
    if (based) {
      this.i += based[0].length;
      const radix = { x: 16, o: 8, b: 2 }[based[1][0].toLowerCase() as 'x' | 'o' | 'b'];
      return sign * parseInt(based[1].slice(1).replace(/_/g, ''), radix);
    }
    const m = /^(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?/.exec(rest);
    if (!m) this.fail('expected a number', start);
    const text = m[0];
    if (/_(?:_|$|[.eE])|[.eE]_/.test(text)) this.fail('misplaced "_" in a number', start);
    this.i += text.length;
    if (/^[A-Za-z_]/.test(this.peek())) this.fail(`unexpected "${this.peek()}" after a number`, this.i);
    return sign * Number(text.replace(/_/g, ''));
  }

  name(): PyValue {
    const start = this.i;
    const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(this.s.slice(this.i))!;
    const id = m[0];
    this.i += id.length;
    if (id === 'None') return null;
    if (id === 'True') return true;
    if (id === 'False') return false;
    if (id === 'inf') return Infinity;
    if (id === 'nan') return NaN;
    this.ws();
    if (this.peek() !== '(') return this.fail(`unknown name "${id}"`, start);
    this.i++;
    if (id === 'defaultdict' || id === 'collections.defaultdict') {
      this.ws();
      // the factory: <class 'list'>, a bare name (list), or None
      if (this.peek() === '<') {
        const close = this.s.indexOf('>', this.i);
        if (close < 0) this.fail('unclosed "<class …>"');
        if (!/^<class '[A-Za-z_][\w.]*'>$/.test(this.s.slice(this.i, close + 1))) this.fail('expected "<class \'…\'>"');
        this.i = close + 1;
      } else if (/[A-Za-z_]/.test(this.peek())) {
        this.i += /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i))![0].length;
      } else this.fail('expected the defaultdict factory');
      this.ws();
      let d: PyDict = new Map();
      if (this.peek() === ',') {
        this.i++;
        this.ws();
        if (this.peek() !== ')') {
          const v = this.value();
          if (!(v instanceof Map)) this.fail('defaultdict(...) must wrap a dict', start);
          d = v;
        }
      }
      this.expect(')');
      return d;
    }
    if (id === 'OrderedDict' || id === 'collections.OrderedDict' || id === 'dict') {
      this.ws();
      const d: PyDict = new Map();
      if (this.peek() !== ')') {
        const v = this.value();
        if (v instanceof Map) for (const [k, x] of v) d.set(k, x);
        else if (Array.isArray(v)) {
          for (const pair of v) {
            if (!Array.isArray(pair) || pair.length !== 2 || (pair[0] !== null && typeof pair[0] === 'object')) this.fail(`${id}(...) needs (key, value) pairs`, start);
            d.set(pair[0] as PyKey, pair[1]);
          }
        } else this.fail(`${id}(...) needs a dict or a list of pairs`, start);
      }
      this.expect(')');
      return d;
    }
    if (id === 'float' || NUMPY_SCALAR.test(id)) {
      const at = this.i;
      const v = this.value();
      this.expect(')');
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (id === 'float' && typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
        if (/^[+-]?nan$/.test(t)) return NaN;
        if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
      }
      return this.fail(`${id}(...) needs a number`, at);
    }
    return this.fail(`calls are not allowed ("${id}(")`, start);
  }
}

/** Parse one Python literal; the whole text must be that literal (surrounding whitespace allowed). */
export function parsePyLiteral(text: string, opts: { numbersAsText?: boolean; onDuplicateKey?: (key: PyKey) => void } = {}): PyValue {
  const p = new Parser(text, opts.numbersAsText, opts.onDuplicateKey);
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail(`unexpected "${text[p.i]}" after the value`);
  return v;
}

/** A PyDict with string keys as a plain record (null-prototype, so "__proto__" is just a key). */
export function dictToRecord(d: PyDict): Record<string, PyValue> {
  const out = Object.create(null) as Record<string, PyValue>;
  for (const [k, v] of d) out[String(k)] = v;
  return out;
}
