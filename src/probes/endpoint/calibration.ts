/**
 * The instrument's own floor: the endpoint probe's client and sampler, timing requests to a
 * loopback responder that perfspec runs itself in a worker thread (its own event loop, so the
 * responder's work does not queue behind the probe's). The responder answers a fixed 200 from a
 * prebuilt buffer without parsing more than the end of each request head; what is left is the
 * probe's client, the kernel's loopback and one cheap write. A reader sets the endpoint's figures
 * against it: a p50 near the floor is the instrument, not the endpoint.
 *
 * The run of calibration requests also warms the client's code before the target's cold request
 * and samples, so the just-in-time compiler's warm-up does not land in the target's figures.
 */
import { Worker } from 'node:worker_threads';
import type { LatencySummary } from '../../metrics/latency-histogram.js';
import { encodeRequest } from '../../load/http/http1-client.js';
import { EndpointSampler } from './sampler.js';
import { leanTransport } from './transport.js';

/** Requests sent first and left out (they open the connections and warm the code). */
export const CALIBRATION_WARMUP = 100;
/** Measured requests (about 20–50 ms on loopback). */
export const CALIBRATION_SAMPLES = 300;

export interface Calibration {
  /** The probe's request span against perfspec's own loopback responder. */
  latency: LatencySummary;
  ttfb: LatencySummary;
  concurrency: number;
  errors: number;
}

const RESPONDER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const response = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: 11\\r\\n\\r\\n{"ok":true}', 'latin1');
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\\r\\n\\r\\n')) >= 0) {
      pending = pending.slice(end + 4);
      socket.write(response);
    }
  });
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

let responder: Promise<{ port: number; worker: Worker }> | undefined;

/** The responder's port; started once per process, on first use. It never keeps the process alive. */
function responderPort(): Promise<number> {
  responder ??= new Promise<{ port: number; worker: Worker }>((resolve, reject) => {
    const worker = new Worker(RESPONDER, { eval: true });
    worker.unref();
    worker.once('message', (port: number) => resolve({ port, worker }));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      responder = undefined;
      reject(new Error(`the calibration responder exited (code ${code})`));
    });
  });
  return responder.then((started) => started.port);
}

/** Stop the responder (tests; the CLI lets it die with the process). */
export async function stopCalibrationResponder(): Promise<void> {
  const started = await responder?.catch(() => undefined);
  responder = undefined;
  if (started) await started.worker.terminate();
}

/** Measure the probe's floor at a concurrency; throws when the responder cannot start. */
export async function measureInstrumentFloor(concurrency: number, signal: AbortSignal): Promise<Calibration> {
  const port = await responderPort();
  const origin = `http://127.0.0.1:${port}`;
  const next = { origin, request: { bytes: encodeRequest('GET', '/', `127.0.0.1:${port}`, [], undefined), head: false, timeoutMs: 2000 } };
  const transport = leanTransport(() => next, { origin, concurrency, keepBody: false });
  await transport.preconnect?.(concurrency, 2000);
  const sampler = new EndpointSampler({ transport, concurrency, expectStatus: [200], signal });
  try {
    await sampler.warm(Math.max(CALIBRATION_WARMUP, concurrency));
    await sampler.sample(CALIBRATION_SAMPLES);
  } finally {
    transport.close();
  }
  const errors = [...sampler.errors.values()].reduce((sum, count) => sum + count, 0);
  return { latency: sampler.latency.summary(), ttfb: sampler.ttfb.summary(), concurrency, errors };
}
