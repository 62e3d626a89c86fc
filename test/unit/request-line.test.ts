import { describe, expect, it } from 'vitest';
import { HTTP_METHODS, parseRequestLine, requireRequestLine } from '../../src/spec/request-line.js';
import { FORMATS } from '../../src/spec/formats.js';
import { planRequest } from '../../src/engine/plan.js';
import { compileScenario } from '../../src/load/flows/compile-flows.js';

function problemOf(text: string) {
  const parsed = parseRequestLine(text);
  if (!('problem' in parsed)) throw new Error(`expected a problem for ${JSON.stringify(text)}, got ${JSON.stringify(parsed.line)}`);
  return parsed.problem;
}

describe('the request-line grammar', () => {
  it('splits every method and a relative target', () => {
    for (const method of HTTP_METHODS) {
      expect(requireRequestLine(`${method} /api/v1/users/me?x=1`)).toEqual({ method, target: '/api/v1/users/me?x=1', path: '/api/v1/users/me?x=1' });
    }
    expect(requireRequestLine('  POST\t/login  ')).toEqual({ method: 'POST', target: '/login', path: '/login' });
  });

  it('splits an absolute URL into origin and path', () => {
    expect(requireRequestLine('GET https://api.example.com/v1/x?q=1')).toEqual({
      method: 'GET',
      target: 'https://api.example.com/v1/x?q=1',
      origin: 'https://api.example.com',
      path: '/v1/x?q=1',
    });
    expect(requireRequestLine('GET http://127.0.0.1:8001')).toMatchObject({ origin: 'http://127.0.0.1:8001', path: '/' });
    expect(requireRequestLine('GET http://h:1?x=1')).toMatchObject({ origin: 'http://h:1', path: '/?x=1' });
  });

  it('keeps spaces inside ${…} as part of the target', () => {
    expect(requireRequestLine('GET /users/${ vars.id }/orders').target).toBe('/users/${ vars.id }/orders');
    expect(requireRequestLine('GET /search?q=${env.QUERY:-two words}').target).toBe('/search?q=${env.QUERY:-two words}');
    expect(requireRequestLine('GET ${vars.next}').target).toBe('${vars.next}');
    expect(requireRequestLine('GET /price/$${literal} ').target).toBe('/price/$${literal}');
  });

  it('says what is wrong and at which column', () => {
    expect(problemOf('FETCH /a')).toEqual({
      message: 'unknown method "FETCH"; use one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (column 1)',
      column: 1,
    });
    expect(problemOf('get /a').message).toBe('unknown method "get"; write it in upper case: GET (column 1)');
    expect(problemOf('/a')).toMatchObject({ column: 1 });
    expect(problemOf('/a').message).toContain('no method before "/a"');
    expect(problemOf('/a b').message).toContain('no method before "/a"');
    expect(problemOf('GET')).toMatchObject({ column: 4 });
    expect(problemOf('GET').message).toContain('has no URL after the method');
    expect(problemOf('')).toMatchObject({ column: 1 });
    expect(problemOf('GET /a b')).toEqual({
      message: 'unexpected "b" after the URL; a request line is one method and one URL (encode a space in it as %20) (column 8)',
      column: 8,
    });
    expect(problemOf('GET /x HTTP/1.1').column).toBe(8);
    expect(problemOf('  GET /users/${vars.id')).toMatchObject({ column: 14 });
    expect(problemOf('  GET /users/${vars.id').message).toContain('"${" is never closed');
    expect(problemOf('GET users/1')).toMatchObject({ column: 5 });
    expect(problemOf('GET users/1').message).toContain('"users/1" must start with /');
    expect(problemOf('GET ftp://h/x').message).toContain('must start with /');
  });

  it('is what the schema format, the check planner and the flow compiler all accept', () => {
    const lines = ['GET /users/${ vars.id }', 'DELETE https://h.example/x', 'GET /a b', 'get /a', 'GET users'];
    const compiled = (line: string) => {
      try {
        compileScenario({ name: 's', users: 1, duration: '1s', flows: [{ name: 'f', steps: [line] }] } as never, {
          baseUrl: 'http://127.0.0.1:9',
          vars: { id: '1' },
          baseDir: '.',
          timeoutMs: 1000,
        });
        return true;
      } catch {
        return false;
      }
    };
    const planned = (line: string) => {
      try {
        planRequest({ request: line });
        return true;
      } catch {
        return false;
      }
    };
    const results = lines.map((line) => [FORMATS['request-line'].validate(line), planned(line), compiled(line)]);
    expect(results).toEqual([
      [true, true, true],
      [true, true, true],
      [false, false, false],
      [false, false, false],
      [false, false, false],
    ]);
    expect(FORMATS['request-line'].explain('GET /a b')).toBe(
      '"GET /a b" is not a request: unexpected "b" after the URL; a request line is one method and one URL (encode a space in it as %20) (column 8)',
    );
  });
});
