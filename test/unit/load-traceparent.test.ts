import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/load/flows/compile-flows.js';
import { entryOfTraceId, TRACEPARENT_PLACEHOLDER, traceHeaderOf, TraceStamper, traceTagOf, writeHex } from '../../src/load/flows/traceparent.js';
import { traceIdOfTraceparent } from '../../src/sources/postgres/sqlcommenter.js';

const context = { baseUrl: 'http://127.0.0.1:1', vars: {}, baseDir: '.', timeoutMs: 1000 };

describe('load traceparent', () => {
  it('stamps fresh, valid, sampled traceparents that name the request entry and the run', () => {
    const tag = traceTagOf('run-1', 'Browse');
    expect(tag).toMatch(/^[0-9a-f]{8}$/);
    expect(traceTagOf('run-2', 'Browse')).not.toBe(tag);
    const stamper = new TraceStamper(tag, '00000000');
    const bytes = Buffer.from(`GET / HTTP/1.1\r\ntraceparent: ${TRACEPARENT_PLACEHOLDER}\r\n\r\n`, 'latin1');
    const offset = bytes.indexOf(TRACEPARENT_PLACEHOLDER);
    const seen = new Set<string>();
    for (let k = 1; k <= 1000; k++) {
      stamper.stamp(bytes, offset, 7);
      const value = bytes.toString('latin1', offset, offset + 55);
      // Built independently: tag · entry · generator (its leading 0 made 8) · sequence; parent = generator · low 8 of the sequence.
      const sequence = k.toString(16).padStart(12, '0');
      expect(value).toBe(`00-${tag}0007` + `80000000${sequence}-80000000${sequence.slice(4)}-01`);
      const id = traceIdOfTraceparent(value)!;
      expect(entryOfTraceId(id, tag)).toBe(7);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
    expect(entryOfTraceId([...seen][0], 'ffffffff')).toBeUndefined();
  });

  it('writes hex digits straight into the bytes, zero-padded, up to 2^53', () => {
    for (const [value, digits] of [
      [0, 4],
      [7, 4],
      [0xffff, 4],
      [0x1234_5678, 8],
      [2 ** 48 - 1, 12],
      [2 ** 40 + 5, 12],
      [2 ** 53 - 1, 14],
    ] as const) {
      const bytes = Buffer.alloc(digits + 2, 'x');
      writeHex(bytes, 1, value, digits);
      expect(bytes.toString('latin1')).toBe(`x${value.toString(16).padStart(digits, '0')}x`);
    }
    // More digits than fit: the high ones are dropped (the parent id keeps the sequence's low 8).
    const bytes = Buffer.alloc(8);
    writeHex(bytes, 0, 0x1_2345_6789, 8);
    expect(bytes.toString('latin1')).toBe('23456789');
  });

  it('reads the trace setting: on by default, false turns it off, a header name may be given', () => {
    expect(traceHeaderOf(undefined)).toBe('traceparent');
    expect(traceHeaderOf(true)).toBe('traceparent');
    expect(traceHeaderOf(false)).toBeUndefined();
    expect(traceHeaderOf({ header: 'x-trace' })).toBe('x-trace');
    expect(() => traceHeaderOf({ header: 'bad header' })).toThrow(/not an HTTP header name/);
  });

  it('pre-encodes the header with its offset in constant and dynamic requests, and leaves a flow-set header alone', () => {
    const compiled = compileScenario(
      {
        name: 's',
        users: 1,
        duration: '1s',
        flows: [{ name: 'f', steps: ['GET /a', { request: 'GET /b/${vars.id}' }, { request: 'GET /c', headers: { TraceParent: 'mine' } }] }],
      },
      { ...context, vars: { id: '1' } },
    );
    const [a, b, c] = compiled.flows[0].steps as Array<{ traced: boolean; targets: Array<{ prebuilt?: { bytes: Buffer; traceOffset?: number } }> }>;
    const prebuilt = a.targets[0].prebuilt!;
    expect(prebuilt.bytes.toString('latin1', prebuilt.traceOffset!, prebuilt.traceOffset! + 55)).toBe(TRACEPARENT_PLACEHOLDER);
    expect(prebuilt.bytes.toString('latin1')).toContain(`\r\ntraceparent: ${TRACEPARENT_PLACEHOLDER}\r\n`);
    expect(b.traced).toBe(true);
    expect(c.traced).toBe(false);
    expect(c.targets[0].prebuilt!.traceOffset).toBeUndefined();
  });

  it('sends nothing with trace: false, and uses the configured header name', () => {
    const off = compileScenario({ name: 's', users: 1, duration: '1s', trace: false, flows: [{ name: 'f', steps: ['GET /a'] }] }, context);
    const offBytes = (off.flows[0].steps[0] as { targets: Array<{ prebuilt?: { bytes: Buffer; traceOffset?: number } }> }).targets[0].prebuilt!;
    expect(offBytes.bytes.toString('latin1')).not.toContain('traceparent');
    expect(offBytes.traceOffset).toBeUndefined();
    const named = compileScenario({ name: 's', users: 1, duration: '1s', trace: { header: 'x-trace' }, flows: [{ name: 'f', steps: ['GET /a'] }] }, context);
    const namedBytes = (named.flows[0].steps[0] as { targets: Array<{ prebuilt?: { bytes: Buffer } }> }).targets[0].prebuilt!;
    expect(namedBytes.bytes.toString('latin1')).toContain(`\r\nx-trace: ${TRACEPARENT_PLACEHOLDER}\r\n`);
  });
});
