/**
 * A small PostgreSQL lexer: just enough to split a multi-statement simple Query, classify a
 * statement by its first keyword, normalise a statement when libpg-query cannot parse it, and inline
 * Bind parameters into an example. Pure functions.
 *
 * It knows the places where a ';' or '$1' is not what it seems: '...' strings (with '' escapes),
 * E'...' strings (backslash escapes), "..." identifiers, $tag$...$tag$ bodies, -- and nested /* *\/
 * comments. Assumes standard_conforming_strings=on (the default since PostgreSQL 9.1).
 */

export type TokenKind = 'space' | 'comment' | 'string' | 'ident' | 'word' | 'number' | 'param' | 'semicolon' | 'punct';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const SPACE = /[ \t\n\r\f\v]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const NUMBER = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/;

/** Tokens of `sql` in order; their ranges cover the whole text. Never throws: an unterminated string runs to the end. */
export function tokenizeSql(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const start = i;
    const c = sql[i];
    let kind: TokenKind;
    if (SPACE.test(c)) {
      while (i < n && SPACE.test(sql[i])) i++;
      kind = 'space';
    } else if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      kind = 'comment';
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
      kind = 'comment';
    } else if (c === "'") {
      i = skipQuoted(sql, i, "'", false);
      kind = 'string';
    } else if ((c === 'e' || c === 'E') && sql[i + 1] === "'") {
      i = skipQuoted(sql, i + 1, "'", true);
      kind = 'string';
    } else if ((c === 'b' || c === 'B' || c === 'x' || c === 'X' || c === 'n' || c === 'N') && sql[i + 1] === "'") {
      i = skipQuoted(sql, i + 1, "'", false);
      kind = 'string';
    } else if ((c === 'u' || c === 'U') && sql[i + 1] === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      const quote = sql[i + 2];
      i = skipQuoted(sql, i + 2, quote, false);
      kind = quote === "'" ? 'string' : 'ident';
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
      kind = 'ident';
    } else if (c === '$') {
      if (DIGIT.test(sql[i + 1] ?? '')) {
        i++;
        while (i < n && DIGIT.test(sql[i])) i++;
        kind = 'param';
      } else {
        const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64));
        if (tag) {
          const close = sql.indexOf(tag[0], i + tag[0].length);
          i = close === -1 ? n : close + tag[0].length;
          kind = 'string';
        } else {
          i++;
          kind = 'punct';
        }
      }
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(sql[i + 1] ?? ''))) {
      const match = NUMBER.exec(sql.slice(i, i + 128));
      i += match ? match[0].length : 1;
      kind = 'number';
    } else if (IDENT_START.test(c)) {
      i++;
      while (i < n && IDENT_PART.test(sql[i])) i++;
      kind = 'word';
    } else if (c === ';') {
      i++;
      kind = 'semicolon';
    } else {
      i++;
      kind = 'punct';
    }
    tokens.push({ kind, start, end: i });
  }
  return tokens;
}

/** Index just past a nested block comment starting at `i` (PostgreSQL nests them). */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  const n = sql.length;
  while (i < n) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return n;
}

/** Index just past a quoted run starting at the opening quote `i`; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  const n = sql.length;
  i++;
  while (i < n) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return n;
}

/**
 * The statements of a simple Query in the order the server runs them: split at top-level ';', each
 * trimmed, pieces holding only spaces and comments dropped (the server runs nothing for them).
 * Comments before a statement stay with it (they often carry a tag such as an ORM's caller).
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let pieceStart = 0;
  let meaningful = false;
  const tokens = tokenizeSql(sql);
  for (const token of tokens) {
    if (token.kind === 'semicolon') {
      if (meaningful) statements.push(sql.slice(pieceStart, token.start).trim());
      pieceStart = token.end;
      meaningful = false;
    } else if (token.kind !== 'space' && token.kind !== 'comment') {
      meaningful = true;
    }
  }
  if (meaningful) statements.push(sql.slice(pieceStart).trim());
  return statements;
}

/** The first keyword of a statement, upper-cased ("SELECT", "BEGIN"); "" when there is none. */
export function firstKeyword(sql: string): string {
  for (const token of tokenizeSql(sql)) {
    if (token.kind === 'space' || token.kind === 'comment' || token.kind === 'punct') continue;
    return token.kind === 'word' ? sql.slice(token.start, token.end).toUpperCase() : '';
  }
  return '';
}

/**
 * Transaction control and session state. ROLLBACK covers ROLLBACK TO SAVEPOINT; ABORT and END are
 * PostgreSQL's spellings of ROLLBACK and COMMIT; PREPARE TRANSACTION / COMMIT PREPARED start with
 * keywords listed here. PREPARE (of a statement) and SHOW are not utility: they do work the app asked for.
 */
const UTILITY_KEYWORDS = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'SET', 'RESET', 'DISCARD', 'DEALLOCATE']);

/** Whether a statement is transaction control or session state, judged by its CommandComplete tag when there is one, else by its text. */
export function isUtilityStatement(sql: string, tag?: string): boolean {
  if (tag !== undefined && tag !== '') {
    const word = tag.split(' ', 1)[0].toUpperCase();
    // Tags are the server's own words: "START TRANSACTION", "COMMIT", "ROLLBACK", "SET", "DISCARD ALL"...
    // "PREPARE TRANSACTION" tags as "PREPARE TRANSACTION", a statement PREPARE as "PREPARE".
    if (word === 'PREPARE') return tag.toUpperCase().startsWith('PREPARE TRANSACTION');
    return UTILITY_KEYWORDS.has(word);
  }
  const keyword = firstKeyword(sql);
  if (keyword === 'PREPARE') return /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*prepare\s+transaction\b/i.test(sql);
  return UTILITY_KEYWORDS.has(keyword);
}

/**
 * A normalised text for grouping when libpg-query cannot parse a statement: comments dropped,
 * whitespace collapsed, unquoted words lower-cased, every constant and $n replaced by ?, and
 * `IN (?, ?, ?)`, `= ANY(?)` and multi-row VALUES collapsed so that list lengths do not split a group
 * (libpg-query's fingerprint treats these alike too).
 */
export function normalizeSqlText(sql: string): string {
  const parts: string[] = [];
  for (const token of tokenizeSql(sql)) {
    switch (token.kind) {
      case 'space':
      case 'comment':
        break;
      case 'string':
      case 'number':
      case 'param':
        parts.push('?');
        break;
      case 'word':
        parts.push(sql.slice(token.start, token.end).toLowerCase());
        break;
      default:
        parts.push(sql.slice(token.start, token.end));
    }
  }
  while (parts.length > 0 && parts[parts.length - 1] === ';') parts.pop();
  let text = parts.join(' ');
  // A signed constant is a constant: "- ?" after an operator or "(" or "," is just "?".
  text = text.replace(/([=<>(,]|\bin|\bvalues|\bthen|\belse|\bwhen|\band|\bor) - \?/g, '$1 ?');
  text = text.replace(/\? (?:, \? )+/g, '? ').replace(/\? (?:, \?)+$/g, '?');
  text = text.replace(/\( \? \) (?:, \( \? \) )+/g, '( ? ) ').replace(/\( \? \)(?: , \( \? \))+$/g, '( ? )');
  text = text.replace(/\bin \( \? \)/g, '= ?').replace(/= any \( \? \)/g, '= ?');
  return text;
}

/**
 * The statement with $n replaced by its Bind parameter as a SQL literal, so a report can show an
 * example that runs in psql. Parameters that are missing stay $n; NULL becomes NULL.
 */
export function inlineParams(sql: string, params: ReadonlyArray<string | null> | undefined): string {
  if (!params || params.length === 0) return sql;
  let out = '';
  let last = 0;
  for (const token of tokenizeSql(sql)) {
    if (token.kind !== 'param') continue;
    const index = Number(sql.slice(token.start + 1, token.end)) - 1;
    if (index < 0 || index >= params.length) continue;
    const value = params[index];
    out += sql.slice(last, token.start) + (value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'`);
    last = token.end;
  }
  return out + sql.slice(last);
}
