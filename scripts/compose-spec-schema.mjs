// Composes the spec schema from its base and the fragments the registered modules own (see the
// comment at the top of scripts/generate-spec-types.mjs for the rules). `composeSchema` is pure;
// `readFragments` finds the fragments through the registries' own lines, without running them.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where each kind of module adds its `properties`. A path is a list of keys from the schema's root;
 * the empty path is the top level of a spec. Executors add to the keys of a load scenario, listed once
 * in `loadScenarioKeys` for both forms of a scenario (the `load` section itself, whose keys every
 * scenario shares, and one entry of `load.scenarios`).
 */
export const TARGETS = {
  check: [['$defs', 'check']],
  spec: [[]],
  service: [['$defs', 'services']],
  executor: [['$defs', 'loadScenarioKeys']],
};

/** The schemas whose `executor` enum lists the executors' names, in registry order. */
const EXECUTOR_ENUMS = [['$defs', 'loadScenarioKeys', 'properties', 'executor']];

export class CompositionError extends Error {}

/**
 * The base schema with every fragment's `properties` added where its kind says and its `$defs`
 * appended, in the order given. A property or definition defined twice (by the base or by two
 * fragments) is an error naming both owners: two modules must never claim one key. The exception
 * is a scenario key that several executors read (`iterations`): their schemas must be equal but
 * for the description, and the descriptions are joined (each should start with its executor's name).
 *
 * @param {object} base the schema without any module's parts (src/spec/schema.base.json)
 * @param {Array<{ owner: string, kind: keyof TARGETS, fragment: { properties?: object, $defs?: object } }>} fragments
 * @param {{ executorNames?: string[], comment?: string, closeForEditors?: boolean }} [options] closeForEditors
 *   (default true): see closeForDraft7Editors; false for the TypeScript types, which need no key names twice
 */
export function composeSchema(base, fragments, options = {}) {
  const schema = structuredClone(base);
  if (options.comment !== undefined) {
    // `$comment` right after `$schema` so it is the first thing a reader of the file sees.
    const { $schema, ...rest } = schema;
    for (const key of Object.keys(schema)) delete schema[key];
    Object.assign(schema, $schema === undefined ? {} : { $schema }, { $comment: options.comment }, rest);
  }
  // Who defined each key so far: "$defs.x" and "<target>.properties.y", as JSON arrays of keys.
  const owners = new Map();
  const ownerOf = (keys) => {
    for (let length = keys.length; length > 0; length -= 1) {
      const owner = owners.get(JSON.stringify(keys.slice(0, length)));
      if (owner !== undefined) return owner;
    }
    return 'the base schema';
  };
  const claim = (keys, owner, taken) => {
    if (taken) throw new CompositionError(`${owner}: ${keys.join('.')} is already defined by ${ownerOf(keys)}`);
    owners.set(JSON.stringify(keys), owner);
  };
  schema.$defs ??= {};
  // Keys added by executors: several executors may read the same key (k6's `iterations`, `maxDuration`).
  const executorKeys = new Set();
  for (const { owner, kind, fragment } of fragments) {
    const targets = TARGETS[kind];
    if (!targets) throw new CompositionError(`${owner}: unknown kind "${kind}" (one of ${Object.keys(TARGETS).join(', ')})`);
    for (const [name, definition] of Object.entries(fragment.$defs ?? {})) {
      claim(['$defs', name], owner, Object.hasOwn(schema.$defs, name));
      schema.$defs[name] = structuredClone(definition);
    }
    for (const target of targets) {
      const at = dig(schema, target, owner);
      at.properties ??= {};
      for (const [name, property] of Object.entries(fragment.properties ?? {})) {
        const keys = [...target, 'properties', name];
        if (kind === 'executor' && executorKeys.has(JSON.stringify(keys))) {
          // Shared by executors: one schema, each executor's description of it kept, in order.
          if (!sameApartFromDescription(at.properties[name], property)) {
            throw new CompositionError(
              `${owner}: ${keys.join('.')} differs from the schema ${ownerOf(keys)} gives it (executors that share a key must agree on it; only descriptions may differ)`,
            );
          }
          at.properties[name] = joinDescriptions(at.properties[name], property);
          continue;
        }
        claim(keys, owner, Object.hasOwn(at.properties, name));
        at.properties[name] = structuredClone(property);
        if (kind === 'executor') executorKeys.add(JSON.stringify(keys));
      }
    }
  }
  if (options.executorNames) {
    for (const where of EXECUTOR_ENUMS) {
      const property = dig(schema, where, 'the executor table');
      property.enum = [...options.executorNames];
    }
  }
  if (options.closeForEditors !== false) closeForDraft7Editors(schema);
  return schema;
}

/**
 * A definition that takes shared keys by `allOf: [{ $ref }]` and refuses others with
 * `unevaluatedProperties: false` (draft 2020-12) is also given, in the output only, the shared
 * key names (`name: true`: the value's schema stays the referenced one) and
 * `additionalProperties: false`. Editors that implement draft 7 only (VS Code's YAML extension,
 * redhat-developer/vscode-yaml#1122) ignore `unevaluatedProperties` and would not underline an
 * unknown key; with the names listed they do, and complete them. The source lists the keys once.
 */
function closeForDraft7Editors(schema) {
  for (const definition of Object.values(schema.$defs ?? {})) {
    if (definition.unevaluatedProperties !== false || !Array.isArray(definition.allOf)) continue;
    const shared = {};
    for (const part of definition.allOf) {
      const name = typeof part.$ref === 'string' ? /^#\/\$defs\/([^/]+)$/.exec(part.$ref)?.[1] : undefined;
      const target = name === undefined ? undefined : schema.$defs[name];
      if (!target) throw new CompositionError(`allOf reference ${part.$ref} is not a local $defs entry`);
      for (const key of Object.keys(target.properties ?? {})) shared[key] = true;
    }
    definition.properties = { ...shared, ...definition.properties };
    delete definition.unevaluatedProperties;
    definition.additionalProperties = false;
  }
}

function sameApartFromDescription(a, b) {
  const strip = ({ description: _description, ...rest }) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

function joinDescriptions(a, b) {
  const description = [a.description, b.description].filter((text) => text !== undefined).join(' ');
  return description ? { ...a, description } : { ...a };
}

function dig(schema, keys, owner) {
  let at = schema;
  for (const key of keys) {
    at = at?.[key];
    if (at === undefined || at === null || typeof at !== 'object') throw new CompositionError(`${owner}: the schema has no ${keys.join('.')} to add to`);
  }
  return at;
}

/**
 * The fragments of every registered module, in registry order, found through the registry lines:
 * - src/probes/registry.ts: an entry of CHECK_PROBES, SPEC_PROBES or SERVICE_KINDS whose loader
 *   imports `./x/index.js` (or `../sources/y/service.js`) → `schema.json` in that module's folder;
 * - src/load/executors/registry.ts: a line `export { x } from './name.js'` → `name.schema.json`
 *   beside it; the file's name is the executor's name.
 * A module without a fragment adds nothing. The registries are parsed with TypeScript, not run.
 */
export function readFragments(root = ROOT) {
  const ts = createRequire(import.meta.url)('typescript');
  const parse = (file) => ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const fragments = [];
  const add = (kind, moduleFile, fragmentFile) => {
    if (!existsSync(path.join(root, fragmentFile))) return;
    fragments.push({
      owner: path.relative(root, path.join(root, fragmentFile)),
      kind,
      fragment: JSON.parse(readFileSync(path.join(root, fragmentFile), 'utf8')),
      module: moduleFile,
    });
  };

  const probes = 'src/probes/registry.ts';
  const probeSource = parse(probes);
  for (const [table, kind] of [
    ['CHECK_PROBES', 'check'],
    ['SPEC_PROBES', 'spec'],
    ['SERVICE_KINDS', 'service'],
  ]) {
    const array = initializerOf(ts, probeSource, table);
    if (!array || !ts.isArrayLiteralExpression(array)) throw new CompositionError(`${probes}: ${table} is not an array literal`);
    for (const entry of array.elements) {
      const specifier = dynamicImportIn(ts, entry);
      if (!specifier) throw new CompositionError(`${probes}: an entry of ${table} does not import its module with import('…')`);
      const moduleFile = path.join(path.dirname(probes), specifier);
      add(kind, moduleFile, path.join(path.dirname(moduleFile), 'schema.json'));
    }
  }

  // One line per executor: `export { perVuIterations } from './per-vu-iterations.js';` — the file is
  // named after the executor (a unit test holds each executor's name to its file).
  const executors = 'src/load/executors/registry.ts';
  const executorSource = parse(executors);
  const executorNames = [];
  for (const statement of executorSource.statements) {
    if (!ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
    if (!specifier || !statement.exportClause || !ts.isNamedExports(statement.exportClause) || statement.exportClause.elements.length !== 1) {
      throw new CompositionError(`${executors}: each line must be export { executor } from './name.js'`);
    }
    const moduleFile = path.join(path.dirname(executors), specifier);
    executorNames.push(path.basename(specifier, '.js'));
    add('executor', moduleFile, moduleFile.replace(/\.js$/, '.schema.json'));
  }
  // The enum in alphabetical order, the order the engine lists them in (src/load/executors/executor-table.ts).
  return { fragments, executorNames: executorNames.sort() };
}

function initializerOf(ts, source, name) {
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.name.text === name) {
        let value = declaration.initializer;
        while (value && (ts.isAsExpression(value) || ts.isSatisfiesExpression(value) || ts.isParenthesizedExpression(value))) value = value.expression;
        return value;
      }
    }
  }
  return undefined;
}

function dynamicImportIn(ts, node) {
  let found;
  const visit = (child) => {
    if (found) return;
    if (
      ts.isCallExpression(child) &&
      child.expression.kind === ts.SyntaxKind.ImportKeyword &&
      child.arguments.length > 0 &&
      ts.isStringLiteral(child.arguments[0])
    ) {
      found = child.arguments[0].text;
      return;
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

/**
 * JSON with two-space indentation where an object or array that fits on its line (120 columns)
 * stays on one line, as the hand-written schema was: short enough to read, long enough to diff.
 */
export function formatJson(value, width = 120) {
  const inline = (v) => {
    if (Array.isArray(v)) return v.length ? `[${v.map(inline).join(', ')}]` : '[]';
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      return entries.length ? `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }` : '{}';
    }
    return JSON.stringify(v);
  };
  const format = (v, indent, prefix) => {
    const one = inline(v);
    if (v === null || typeof v !== 'object' || indent.length + prefix + one.length + 1 <= width) return one;
    const inner = `${indent}  `;
    if (Array.isArray(v)) return `[\n${v.map((x) => inner + format(x, inner, 0)).join(',\n')}\n${indent}]`;
    const lines = Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner, JSON.stringify(k).length + 2)}`);
    return `{\n${lines.join(',\n')}\n${indent}}`;
  };
  return `${format(value, '', 0)}\n`;
}
