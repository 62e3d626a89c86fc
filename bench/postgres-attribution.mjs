#!/usr/bin/env node
/**
 * What reading sqlcommenter comments costs the proxy per statement: the wire tracker's CPU time for the
 * same byte stream (Parse/Bind/Execute/Sync of a commented statement and its answers, as node-pg sends
 * them) with attribution on (comment parsed, statement counted per trace id) and off, interleaved batch
 * by batch in one process so background noise hits both alike. Also shown: the same with the comment
 * absent (the common case for an app without instrumentation: only the last bytes are looked at).
 * Outside query windows, as under load. Run: node --import tsx bench/postgres-attribution.mjs
 *
 * Env: BENCH_ATTR_STATEMENTS (20000 per batch), BENCH_ATTR_ROUNDS (15).
 */
const { WireTracker } = await import('../src/sources/postgres/wire-tracker.ts');
const { StatementAggregates } = await import('../src/sources/postgres/statement-aggregates.ts');
const { TraceAttribution } = await import('../src/sources/postgres/trace-attribution.ts');

const perBatch = Number(process.env.BENCH_ATTR_STATEMENTS ?? 20000);
const rounds = Number(process.env.BENCH_ATTR_ROUNDS ?? 15);

function message(type, body = Buffer.alloc(0)) {
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstr = (t) => Buffer.from(`${t}\0`);
const i16 = (v) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
function frontend(sql) {
  const bind = Buffer.concat([cstr(''), cstr(''), i16(0), i16(1), Buffer.from([0, 0, 0, 1]), Buffer.from('7'), i16(0)]);
  return Buffer.concat([
    message('P', Buffer.concat([cstr(''), cstr(sql), i16(0)])),
    message('B', bind),
    message('D', Buffer.concat([Buffer.from('P'), cstr('')])),
    message('E', Buffer.concat([cstr(''), Buffer.alloc(4)])),
    message('S'),
  ]);
}
const backend = Buffer.concat([
  message('1'),
  message('2'),
  message('T', Buffer.alloc(2)),
  message('D', Buffer.concat([i16(1), Buffer.from([0, 0, 0, 1]), Buffer.from('7')])),
  message('C', cstr('SELECT 1')),
  message('Z', Buffer.from('I')),
]);

const SQL = 'SELECT id, email, name, organization_id FROM users WHERE id = $1';
const commented = Array.from({ length: 64 }, (_, k) => frontend(`${SQL} /*traceparent='00-${k.toString(16).padStart(32, 'a')}-00f067aa0ba902b7-01'*/`));
const plain = [frontend(SQL)];

function run(withAttribution, streams) {
  const sink = { recording: false, record() {}, aggregates: new StatementAggregates() };
  if (withAttribution) sink.attribution = new TraceAttribution();
  const tracker = new WireTracker(1, sink);
  const start = process.cpuUsage();
  for (let k = 0; k < perBatch; k++) {
    tracker.frontend(streams[k % streams.length], k);
    tracker.backend(backend, k);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / perBatch; // ns per statement
}

const results = { off: [], on: [], onPlain: [] };
for (let r = 0; r < rounds + 2; r++) {
  const order = r % 2 === 0 ? ['off', 'on', 'onPlain'] : ['onPlain', 'on', 'off'];
  for (const which of order) {
    const ns = which === 'off' ? run(false, commented) : which === 'on' ? run(true, commented) : run(true, plain);
    if (r >= 2) results[which].push(ns); // two warm-up rounds
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(results.off);
const on = median(results.on);
const onPlain = median(results.onPlain);
console.log(`tracker CPU per statement (median of ${rounds} interleaved batches of ${perBatch}; shared machine, loaded):`);
console.log(`  attribution off (comment present, not read): ${off.toFixed(0)} ns`);
console.log(`  attribution on, commented statements:       ${on.toFixed(0)} ns  (+${(on - off).toFixed(0)} ns, ×${(on / off).toFixed(2)})`);
console.log(`  attribution on, no comment:                 ${onPlain.toFixed(0)} ns`);
