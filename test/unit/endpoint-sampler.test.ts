/** The sampling loop's bookkeeping with a scripted transport (pure logic; the real client is tested in integration). */
import { describe, expect, it } from 'vitest';
import type { Http1Callback, Http1Outcome } from '../../src/load/http/http1-client.js';
import { EndpointSampler } from '../../src/probes/endpoint/sampler.js';
import type { TimedTransport } from '../../src/probes/endpoint/transport.js';

/** A transport whose n-th request gets `script(n)`, answered on a later tick; it tracks requests in flight. */
function scripted(script: (n: number) => Partial<Http1Outcome>, options: { synchronous?: boolean } = {}) {
  let sent = 0;
  let inFlight = 0;
  let peak = 0;
  const transport: TimedTransport & { sent(): number; peak(): number } = {
    client: 'http1',
    send(done: Http1Callback) {
      const n = sent++;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      const answer = () => {
        inFlight -= 1;
        done({ status: 200, sentAt: 10, firstByteAt: 11, endedAt: 12, interrupted: false, ...script(n) });
      };
      if (options.synchronous) answer();
      else setImmediate(answer);
    },
    close: () => undefined,
    sent: () => sent,
    peak: () => peak,
  };
  return transport;
}

const base = { concurrency: 1, expectStatus: [200], signal: new AbortController().signal };

describe('EndpointSampler', () => {
  it('records spans and time to first byte from the transport timestamps', async () => {
    const transport = scripted((n) => ({ sentAt: 100, firstByteAt: 100.5 + n, endedAt: 102 + n }));
    const sampler = new EndpointSampler({ ...base, transport });
    await sampler.sample(3);
    expect(sampler.latency.summary()).toMatchObject({ count: 3, min: 2, max: 4 });
    expect(sampler.ttfb.summary()).toMatchObject({ count: 3, min: 0.5, max: 2.5 });
  });

  it('accumulates over repeated calls: "take N more samples"', async () => {
    const transport = scripted((n) => ({ status: n % 4 === 3 ? 500 : 200 }));
    const sampler = new EndpointSampler({ ...base, transport });
    await sampler.sample(4);
    await sampler.sample(4);
    expect(transport.sent()).toBe(8);
    expect(sampler.latency.count).toBe(8);
    expect(Object.fromEntries(sampler.statuses)).toEqual({ '200': 6, '500': 2 });
    expect(sampler.unexpected).toBe(2);
    expect(sampler.sampledMs).toBeGreaterThan(0);
  });

  it('warm-up sends but records nothing', async () => {
    const transport = scripted(() => ({}));
    const sampler = new EndpointSampler({ ...base, transport });
    await sampler.warm(5);
    expect(transport.sent()).toBe(5);
    expect(sampler.latency.count).toBe(0);
  });

  it('keeps exactly `concurrency` requests in flight and sends exactly the count', async () => {
    const transport = scripted(() => ({}));
    const sampler = new EndpointSampler({ ...base, concurrency: 3, transport });
    await sampler.sample(10);
    expect(transport.peak()).toBe(3);
    expect(transport.sent()).toBe(10);
  });

  it('does not overshoot when the transport answers synchronously', async () => {
    const transport = scripted(() => ({}), { synchronous: true });
    const sampler = new EndpointSampler({ ...base, concurrency: 4, transport });
    await sampler.sample(6);
    expect(transport.sent()).toBe(6);
    expect(sampler.latency.count).toBe(6);
  });

  it('counts errors by kind, interrupted requests as aborted, and leaves them out of the latency', async () => {
    const kinds: Partial<Http1Outcome>[] = [
      { status: 0, error: 'timeout' },
      { status: 0, error: 'connection_refused' },
      { status: 0, error: 'other', interrupted: true },
      {},
    ];
    const sampler = new EndpointSampler({ ...base, transport: scripted((n) => kinds[n]) });
    await sampler.sample(4);
    expect(Object.fromEntries(sampler.errors)).toEqual({ timeout: 1, connection_refused: 1, aborted: 1 });
    expect(sampler.latency.count).toBe(1);
  });

  it('checks expect.json only on responses with an expected status', async () => {
    const bodies = ['{"s":"ok"}', '{"s":"bad"}', 'not json'];
    const transport = scripted((n) => (n === 3 ? { status: 500, body: 'x' } : { body: bodies[n] }));
    const sampler = new EndpointSampler({ ...base, transport, expectJson: { '$.s': 'ok' } });
    await sampler.sample(4);
    expect(sampler.expectationFailures).toBe(2);
    expect(sampler.firstExpectationFailure).toEqual({ path: '$.s', expected: 'ok', actual: 'bad' });
    expect(sampler.unexpected).toBe(1);
  });

  it('stops sending once the signal aborts, and waits for what is in flight', async () => {
    const controller = new AbortController();
    const transport = scripted((n) => {
      if (n === 2) controller.abort();
      return {};
    });
    const sampler = new EndpointSampler({ ...base, concurrency: 2, signal: controller.signal, transport });
    await sampler.sample(100);
    expect(transport.sent()).toBeLessThanOrEqual(4);
    expect(sampler.latency.count).toBe(transport.sent());
  });
});
