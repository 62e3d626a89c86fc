import { describe, expect, it } from 'vitest';
import { findReferences, resolveDeep, resolveString, unresolvedReferences } from '../../src/spec/interpolate.js';
import { parseJsonPath, readJsonPath } from '../../src/spec/json-path.js';

describe('interpolation', () => {
  const scope = { vars: { token: 'abc', id: '7' }, run: { id: 'r1' } };

  it('resolves namespaces and defaults', () => {
    expect(resolveString('Bearer ${vars.token}', scope)).toBe('Bearer abc');
    expect(resolveString('/users/${vars.id}?run=${run.id}', scope)).toBe('/users/7?run=r1');
    expect(resolveString('${vars.missing:-fallback}', scope)).toBe('fallback');
    expect(resolveString('${vars.missing:-}', scope)).toBe('');
    expect(resolveString('${vars.missing}', scope)).toBe('${vars.missing}');
  });

  it('writes a literal ${ for $${', () => {
    expect(resolveString('cost: $${vars.token}', scope)).toBe('cost: ${vars.token}');
    expect(findReferences('$${vars.token}')).toEqual([]);
  });

  it('finds references, malformed ones too', () => {
    expect(findReferences('${env.HOME:-/root} ${vars.a}')).toEqual([
      { namespace: 'env', name: 'HOME', fallback: '/root', raw: '${env.HOME:-/root}' },
      { namespace: 'vars', name: 'a', fallback: undefined, raw: '${vars.a}' },
    ]);
    expect(findReferences('${token}')[0].namespace).toBe('');
  });

  it('lists what stays unresolved', () => {
    expect(unresolvedReferences('${vars.token} ${vars.nope} ${vars.x:-1}', scope).map((ref) => ref.name)).toEqual(['nope']);
  });

  it('resolves deep inside JSON bodies, leaving non-strings alone', () => {
    expect(resolveDeep({ a: ['${vars.id}', 3, true, null], b: { c: '${run.id}' } }, scope)).toEqual({ a: ['7', 3, true, null], b: { c: 'r1' } });
  });
});

describe('JSONPath subset', () => {
  const body = { access_token: 't', items: [{ id: 1 }, { id: 2 }], 'odd key': { x: 'y' } };
  it.each([
    ['$.access_token', 't'],
    ['$.items[0].id', 1],
    ['$.items[-1].id', 2],
    ['$.items.length', 2],
    ["$['odd key'].x", 'y'],
    ['$.missing.deep', undefined],
    ['$.items[5].id', undefined],
    ['$', body],
  ])('%s', (path, expected) => expect(readJsonPath(body, parseJsonPath(path)!)).toEqual(expected));

  it.each(['access_token', '$..id', '$.items[*]', '$.a[?(@.x)]'])('rejects %s', (path) => expect(parseJsonPath(path)).toBeUndefined());
});
