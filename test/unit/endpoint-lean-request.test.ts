/** Which requests the lean HTTP/1.1 client writes for the endpoint probe, and the exact bytes. */
import { describe, expect, it } from 'vitest';
import { toLeanRequest } from '../../src/probes/endpoint/lean-request.js';

describe('toLeanRequest', () => {
  it('writes the request line, host, the given headers and nothing else', () => {
    const lean = toLeanRequest(
      { method: 'GET', url: 'http://127.0.0.1:8080/api/v1/x?limit=10', headers: { authorization: 'Bearer t', accept: 'application/json' } },
      5000,
    )!;
    expect(lean.origin).toBe('http://127.0.0.1:8080');
    expect(lean.request.bytes.toString('latin1')).toBe(
      'GET /api/v1/x?limit=10 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nauthorization: Bearer t\r\naccept: application/json\r\n\r\n',
    );
    expect(lean.request).toMatchObject({ head: false, timeoutMs: 5000 });
  });

  it('frames a body with its byte length (UTF-8) and marks HEAD as bodiless', () => {
    const post = toLeanRequest(
      { method: 'POST', url: 'https://api.example.test/items', headers: { 'content-type': 'application/json' }, body: '{"name":"é"}' },
      1000,
    )!;
    expect(post.origin).toBe('https://api.example.test');
    expect(post.request.bytes.toString('utf8')).toBe(
      'POST /items HTTP/1.1\r\nhost: api.example.test\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{"name":"é"}',
    );
    expect(toLeanRequest({ method: 'HEAD', url: 'http://h/', headers: {} }, 1000)!.request.head).toBe(true);
  });

  it('refuses what it could not write faithfully, so undici handles it as before', () => {
    expect(toLeanRequest({ method: 'GET', url: 'http://h/', headers: { 'x-evil': 'a\r\nx-injected: 1' } }, 1000)).toBeUndefined();
    expect(toLeanRequest({ method: 'GET', url: 'http://h/', headers: { 'bad name': 'v' } }, 1000)).toBeUndefined();
    expect(toLeanRequest({ method: 'GE T', url: 'http://h/', headers: {} }, 1000)).toBeUndefined();
    expect(toLeanRequest({ method: 'GET', url: 'ftp://h/', headers: {} }, 1000)).toBeUndefined();
    expect(toLeanRequest({ method: 'GET', url: 'not a url', headers: {} }, 1000)).toBeUndefined();
    // A tab inside a header value is legal and kept.
    expect(toLeanRequest({ method: 'GET', url: 'http://h/', headers: { 'x-tab': 'a\tb' } }, 1000)).toBeDefined();
  });
});
