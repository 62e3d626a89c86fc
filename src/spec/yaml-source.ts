/**
 * YAML parsed with positions, so every problem found later (schema, budgets, variables) can point
 * at `file:line:col`. This module only parses and locates; it does not judge.
 */
import { isAlias, isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';

/**
 * How many nodes aliases may expand to. Ordinary reuse (one `&headers` anchor used hundreds of
 * times) is far below; a "billion laughs" document (aliases of aliases) passes it within a few
 * levels and is reported as a spec problem instead of exhausting memory.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface Position {
  line: number;
  col: number;
}

export interface SpecProblem {
  file: string;
  position?: Position;
  /** Dotted path into the spec ("checks[0].latency.p95"); empty for the whole document. */
  path: string;
  message: string;
}

export interface YamlSource {
  file: string;
  text: string;
  document: Document;
  /** The data, or undefined when the YAML could not be parsed. */
  data: unknown;
  problems: SpecProblem[];
  /** Position of the node at a path (or of its closest existing parent). */
  locate(path: Array<string | number>, options?: { key?: boolean }): Position | undefined;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below with one Set per mapping: yaml's own uniqueKeys check compares
  // every pair with every other (quadratic: 40k keys took 50 s). `merge` accepts `<<: *defaults`.
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false, merge: true });
  const problems: SpecProblem[] = [...document.errors, ...document.warnings].map((error) => {
    const position = error.linePos?.[0];
    return {
      file,
      position: position ? { line: position.line, col: position.col } : undefined,
      path: '',
      message: `YAML: ${firstLine(error.message)}`,
    };
  });

  const toPosition = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };

  const locate = (path: Array<string | number>, options: { key?: boolean } = {}): Position | undefined => {
    // Walk down as far as the path exists; report the deepest node found.
    let node: unknown = document.contents;
    let found: Position | undefined = node && hasRange(node) ? toPosition(node.range[0]) : undefined;
    for (let index = 0; index < path.length; index += 1) {
      const segment = path[index];
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return found;
        if (last && options.key && hasRange(pair.key)) return toPosition(pair.key.range[0]);
        node = pair.value;
        const at = hasRange(node) ? node.range[0] : hasRange(pair.key) ? pair.key.range[0] : undefined;
        if (at !== undefined) found = toPosition(at);
      } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
        const item = (node as { items: unknown[] }).items[Number(segment)];
        if (item === undefined) return found;
        node = item;
        if (hasRange(node)) found = toPosition(node.range[0]);
      } else {
        return found;
      }
    }
    return found;
  };

  if (document.errors.length === 0) problems.push(...findDuplicateKeys(document, file, toPosition));
  let data: unknown;
  if (!problems.some((problem) => problem.message.startsWith('YAML'))) {
    try {
      data = document.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
      // `x: &a { b: *a }` builds an object that contains itself: every later walk would recurse forever.
      if (containsCycle(data)) throw new Error('cycle');
    } catch (error) {
      data = undefined;
      // yaml throws on excessive aliasing (and on an alias to an anchor defined later): a spec error, with where.
      let first: Position | undefined;
      visit(document, {
        Alias(_key, node) {
          if (node.range) first = toPosition(node.range[0]);
          return visit.BREAK;
        },
      });
      const reason = error instanceof Error ? error.message : String(error);
      problems.push({
        file,
        position: first,
        path: '',
        message: /excessive alias count/i.test(reason)
          ? `YAML: aliases (*name) expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes; reuse anchors less deeply or write the values out`
          : reason === 'cycle'
            ? 'YAML: an alias (*name) refers to a node that contains it, a cycle no spec can mean; write the value out'
            : `YAML: ${firstLine(reason)}`,
      });
    }
  }
  return { file, text, document, data, problems, locate };
}

/** Does a value contain itself (through aliases)? Iterative, so a deep document cannot overflow the stack. */
function containsCycle(root: unknown): boolean {
  const done = new Set<object>();
  const onPath = new Set<object>();
  const stack: Array<{ node: object; children: unknown[]; next: number }> = [];
  const push = (node: unknown): boolean => {
    if (!node || typeof node !== 'object' || done.has(node)) return false;
    if (onPath.has(node)) return true;
    onPath.add(node);
    stack.push({ node, children: Array.isArray(node) ? node : Object.values(node), next: 0 });
    return false;
  };
  if (push(root)) return true;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.children.length) {
      if (push(top.children[top.next++])) return true;
    } else {
      stack.pop();
      onPath.delete(top.node);
      done.add(top.node);
    }
  }
  return false;
}

/** "Map keys must be unique" for every repeated scalar key, in time linear in the document's size. */
function findDuplicateKeys(document: Document, file: string, toPosition: (offset: number) => Position): SpecProblem[] {
  const problems: SpecProblem[] = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || isAlias(pair.key)) continue;
        const name = String(pair.key.value);
        if (name === '<<') continue; // merge keys may repeat
        if (seen.has(name)) {
          problems.push({
            file,
            position: pair.key.range ? toPosition(pair.key.range[0]) : undefined,
            path: '',
            message: `YAML: Map keys must be unique ("${name}" appears twice)`,
          });
        }
        seen.add(name);
      }
    },
  });
  return problems;
}

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return Boolean(node && typeof node === 'object' && 'range' in node && Array.isArray((node as { range: unknown }).range));
}

function firstLine(message: string): string {
  // yaml's pretty errors append the offending line and a caret; the position is reported separately.
  return message
    .split('\n')[0]
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}

/** `checks[0].latency.p95` from ['checks', 0, 'latency', 'p95']. */
export function formatPath(path: Array<string | number>): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number'
        ? `[${segment}]`
        : /^[A-Za-z_$][\w$-]*$/.test(segment)
          ? index === 0
            ? segment
            : `.${segment}`
          : `[${JSON.stringify(segment)}]`,
    )
    .join('');
}

/** `specs/x.yaml:12:7 checks[0].latency.p95: message` — the one format every spec problem uses. */
export function formatProblem(problem: SpecProblem): string {
  const where = problem.position ? `${problem.file}:${problem.position.line}:${problem.position.col}` : problem.file;
  return problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where} ${problem.message}`;
}
