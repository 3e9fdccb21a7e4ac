/**
 * A small parser and evaluator for the LaTeX-ish arithmetic that final answers are written in:
 * numbers, + - * / ^, `\frac`, `\sqrt` (with an optional index), `\pi`, `\binom`, factorials,
 * `\cdot`/`\times`, common functions, implicit multiplication (`2\pi r`, `3\sqrt{2}`) and
 * single-letter (or Greek, or subscripted) variables.
 *
 * It is only used to decide whether two answers are equal (numerically, or as expressions
 * sampled at a few points), so it fails closed: anything it does not understand (`\infty`,
 * `\pm`, intervals, base subscripts like `40_9`) makes `parseMath` return null and the caller
 * falls back to comparing strings.
 */

export type MathNode =
  | { k: 'num'; v: number }
  | { k: 'var'; name: string }
  | { k: 'neg'; a: MathNode }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '^'; a: MathNode; b: MathNode }
  | { k: 'fn'; name: string; a: MathNode }
  | { k: 'root'; n: MathNode; a: MathNode }
  | { k: 'fact'; a: MathNode }
  | { k: 'binom'; a: MathNode; b: MathNode };

export interface MathExpr {
  node: MathNode;
  /** Free variables, sorted. Empty for a plain number such as `2\sqrt{3}`. */
  variables: string[];
}

type Token =
  | { t: 'num'; v: number }
  | { t: 'cmd'; name: string }
  | { t: 'letter'; c: string }
  | { t: 'sym'; c: string };

const FUNCTIONS = new Set([
  'sin',
  'cos',
  'tan',
  'sec',
  'csc',
  'cot',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'ln',
  'log',
  'exp',
]);

const GREEK = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'vartheta',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'rho',
  'sigma',
  'tau',
  'phi',
  'varphi',
  'chi',
  'psi',
  'omega',
]);

/** Commands that are pure spacing or sizing and carry no meaning. */
const IGNORED_COMMANDS = new Set(['left', 'right', 'displaystyle', 'big', 'Big', 'bigl', 'bigr']);

function tokenize(s: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === ' ') {
      i++;
      continue;
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)/.exec(s.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (ch === '\\') {
      const cmd = /^\\([a-zA-Z]+)/.exec(s.slice(i));
      if (!cmd) return null; // `\{`, `\,` ... should have been normalised away
      const name = cmd[1] as string;
      i += cmd[0].length;
      if (!IGNORED_COMMANDS.has(name)) out.push({ t: 'cmd', name });
      continue;
    }
    if (/[a-zA-Z]/.test(ch)) {
      out.push({ t: 'letter', c: ch });
      i++;
      continue;
    }
    if ('+-*/^()[]{}!_|'.includes(ch)) {
      out.push({ t: 'sym', c: ch });
      i++;
      continue;
    }
    return null;
  }
  return out;
}

class ParseError extends Error {}

/** Recursive-descent parser over the token list; throws ParseError on anything unknown. */
class Parser {
  private pos = 0;
  readonly variables = new Set<string>();
  constructor(private readonly tokens: Token[]) {}

  parse(): MathNode {
    const node = this.expr();
    if (this.pos !== this.tokens.length) throw new ParseError('trailing tokens');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isSym(c: string): boolean {
    const t = this.peek();
    return t?.t === 'sym' && t.c === c;
  }

  private expect(c: string): void {
    if (!this.isSym(c)) throw new ParseError(`expected ${c}`);
    this.pos++;
  }

  private expr(): MathNode {
    let node = this.term();
    for (;;) {
      if (this.isSym('+')) {
        this.pos++;
        node = { k: 'bin', op: '+', a: node, b: this.term() };
      } else if (this.isSym('-')) {
        this.pos++;
        node = { k: 'bin', op: '-', a: node, b: this.term() };
      } else return node;
    }
  }

  /** Whether the next token can start a factor, for implicit multiplication (`2x`, `3\pi`). */
  private startsFactor(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.t === 'num' || t.t === 'letter') return true;
    if (t.t === 'cmd') return !['cdot', 'times', 'div'].includes(t.name);
    return t.c === '(' || t.c === '{' || t.c === '[';
  }

  private term(): MathNode {
    let node = this.unary();
    for (;;) {
      const t = this.peek();
      if (t?.t === 'sym' && (t.c === '*' || t.c === '/')) {
        this.pos++;
        node = { k: 'bin', op: t.c, a: node, b: this.unary() };
      } else if (t?.t === 'cmd' && (t.name === 'cdot' || t.name === 'times')) {
        this.pos++;
        node = { k: 'bin', op: '*', a: node, b: this.unary() };
      } else if (t?.t === 'cmd' && t.name === 'div') {
        this.pos++;
        node = { k: 'bin', op: '/', a: node, b: this.unary() };
      } else if (this.startsFactor()) {
        node = { k: 'bin', op: '*', a: node, b: this.power() };
      } else return node;
    }
  }

  private unary(): MathNode {
    if (this.isSym('-')) {
      this.pos++;
      return { k: 'neg', a: this.unary() };
    }
    if (this.isSym('+')) {
      this.pos++;
      return this.unary();
    }
    return this.power();
  }

  private power(): MathNode {
    const base = this.postfix();
    if (this.isSym('^')) {
      this.pos++;
      // Right-associative, and the exponent may carry its own sign: 2^{-1}, x^-2.
      return { k: 'bin', op: '^', a: base, b: this.unary() };
    }
    return base;
  }

  private postfix(): MathNode {
    let node = this.primary();
    while (this.isSym('!')) {
      this.pos++;
      node = { k: 'fact', a: node };
    }
    return node;
  }

  /** A `{...}` group (LaTeX argument), or a single token when the braces are left out. */
  private argument(): MathNode {
    if (this.isSym('{')) {
      this.pos++;
      const node = this.expr();
      this.expect('}');
      return node;
    }
    return this.primary();
  }

  private primary(): MathNode {
    const t = this.peek();
    if (!t) throw new ParseError('unexpected end');
    this.pos++;
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'letter') return this.variable(t.c);
    if (t.t === 'sym') {
      const close = ({ '(': ')', '{': '}', '[': ']' } as Record<string, string>)[t.c];
      if (close) {
        const node = this.expr();
        this.expect(close);
        return node;
      }
      if (t.c === '|') {
        const node = this.expr();
        this.expect('|');
        return { k: 'fn', name: 'abs', a: node };
      }
      throw new ParseError(`unexpected ${t.c}`);
    }
    switch (t.name) {
      case 'frac': {
        const a = this.argument();
        const b = this.argument();
        return { k: 'bin', op: '/', a, b };
      }
      case 'sqrt': {
        if (this.isSym('[')) {
          this.pos++;
          const n = this.expr();
          this.expect(']');
          return { k: 'root', n, a: this.argument() };
        }
        return { k: 'root', n: { k: 'num', v: 2 }, a: this.argument() };
      }
      case 'binom': {
        const a = this.argument();
        const b = this.argument();
        return { k: 'binom', a, b };
      }
      case 'pi':
        return { k: 'num', v: Math.PI };
      default:
        if (FUNCTIONS.has(t.name)) return { k: 'fn', name: t.name, a: this.power() };
        if (GREEK.has(t.name)) return this.variable(`\\${t.name}`);
        throw new ParseError(`unknown command \\${t.name}`);
    }
  }

  private variable(name: string): MathNode {
    let full = name;
    if (this.isSym('_')) {
      this.pos++;
      const t = this.peek();
      this.pos++;
      if (t?.t === 'num' || t?.t === 'letter') full += `_${t.t === 'num' ? t.v : t.c}`;
      else if (t?.t === 'sym' && t.c === '{') {
        let sub = '';
        while (this.peek() && !this.isSym('}')) {
          const s = this.peek() as Token;
          sub +=
            s.t === 'num' ? String(s.v) : s.t === 'letter' ? s.c : s.t === 'sym' ? s.c : s.name;
          this.pos++;
        }
        this.expect('}');
        full += `_${sub}`;
      } else throw new ParseError('bad subscript');
    }
    this.variables.add(full);
    return { k: 'var', name: full };
  }
}

/**
 * Parse a normalised answer (see normalizeAnswerText) into an expression tree.
 * @returns The tree and its free variables, or null if the text is not a plain expression.
 */
export function parseMath(text: string): MathExpr | null {
  if (text.trim() === '' || text.includes(',') || text.includes('=')) return null;
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0) return null;
  const parser = new Parser(tokens);
  try {
    const node = parser.parse();
    return { node, variables: [...parser.variables].sort() };
  } catch (e) {
    if (e instanceof ParseError) return null;
    throw e;
  }
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 170) return NaN;
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

function binomial(n: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || n < 0 || k > n) return NaN;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

const FUNCTION_IMPLS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  cot: (x) => 1 / Math.tan(x),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  ln: Math.log,
  log: Math.log10,
  exp: Math.exp,
  abs: Math.abs,
};

/**
 * Evaluate an expression tree.
 * @param env Values of the free variables; a missing variable evaluates to NaN.
 * @returns The value, NaN where it is undefined (a negative square root, 0/0, ...).
 */
export function evaluateMath(node: MathNode, env: ReadonlyMap<string, number> = new Map()): number {
  switch (node.k) {
    case 'num':
      return node.v;
    case 'var':
      return env.get(node.name) ?? NaN;
    case 'neg':
      return -evaluateMath(node.a, env);
    case 'fact':
      return factorial(evaluateMath(node.a, env));
    case 'binom':
      return binomial(evaluateMath(node.a, env), evaluateMath(node.b, env));
    case 'root': {
      const n = evaluateMath(node.n, env);
      const a = evaluateMath(node.a, env);
      // Odd roots of negatives are real: \sqrt[3]{-8} = -2.
      if (a < 0 && Number.isInteger(n) && n % 2 === 1) return -Math.pow(-a, 1 / n);
      return Math.pow(a, 1 / n);
    }
    case 'fn': {
      const f = FUNCTION_IMPLS[node.name];
      return f ? f(evaluateMath(node.a, env)) : NaN;
    }
    case 'bin': {
      const a = evaluateMath(node.a, env);
      const b = evaluateMath(node.b, env);
      switch (node.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? NaN : a / b;
        case '^':
          return Math.pow(a, b);
      }
    }
  }
}
