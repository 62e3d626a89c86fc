/**
 * JUnit XML that every consumer (Jenkins, GitLab, Azure DevOps, GitHub test reporters) reads the
 * same way. Pure: the result in, the XML text out.
 *
 * The rules, each there because some consumer depends on it:
 * - one <testsuite> per spec; one <testcase> per budget, named "check: metric" — never the target,
 *   so changing a budget keeps the CI test history; target, actual and the reason go in the text;
 * - every count (tests, failures, errors, skipped) is counted from the testcases actually written,
 *   at the suite and at the root, so the levels always agree;
 * - a budget at level "warn" that is not met, and an inconclusive verdict, are passing testcases
 *   marked status="warning" / status="inconclusive" with the reason in <system-out>; the suite's
 *   properties count them apart (perfspec.warnings, perfspec.inconclusive);
 * - a probe that broke is one testcase "check: <kind> probe" with <error>; a problem outside any
 *   check (setup, target, interruption) is one testcase "run" with <error>;
 * - `time` on the root, every suite and every case (seconds, 3 decimals).
 * The shape is that of the common junit-10.xsd (test/fixtures/junit/junit-10.xsd validates it).
 */
import type { CheckResult, RunResult, SpecResult } from '../result/result.js';
import { standingOf } from '../verdict/types.js';

export type JunitCaseStatus = 'passed' | 'failed' | 'warning' | 'inconclusive' | 'error';

export interface JunitCase {
  classname: string;
  name: string;
  status: JunitCaseStatus;
  /** Milliseconds. */
  timeMs: number;
  /** For failed and error cases: the one-line reason (the `message` attribute). */
  message?: string;
  /** The element type of a failure or error ("budget", "probe", "run"). */
  type?: string;
  /** Target, actual and reason: in the <failure>/<error> body and in <system-out>. */
  details: string;
}

export interface JunitSuite {
  name: string;
  timestamp: string;
  properties: Array<[string, string]>;
  cases: JunitCase[];
}

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  warnings: number;
  inconclusive: number;
  /** Milliseconds: the sum of the cases' times. */
  timeMs: number;
}

/** Counts taken from the cases themselves, so every level agrees with what it holds. */
export function countCases(cases: JunitCase[]): JunitCounts {
  return {
    tests: cases.length,
    failures: cases.filter((item) => item.status === 'failed').length,
    errors: cases.filter((item) => item.status === 'error').length,
    warnings: cases.filter((item) => item.status === 'warning').length,
    inconclusive: cases.filter((item) => item.status === 'inconclusive').length,
    timeMs: cases.reduce((sum, item) => sum + item.timeMs, 0),
  };
}

const STATUS_OF_STANDING = { pass: 'passed', fail: 'failed', warn: 'warning', inconclusive: 'inconclusive' } as const;

/**
 * A check's time, shared among its testcases in whole milliseconds so that the cases add up to
 * exactly the check's (rounded) duration.
 */
function shareTime(totalMs: number, parts: number): number[] {
  const total = Math.max(0, Math.round(totalMs));
  if (parts <= 0) return [];
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, index) => base + (index < total - base * parts ? 1 : 0));
}

function casesOfCheck(spec: SpecResult, check: CheckResult): JunitCase[] {
  const broken = check.probes.filter((probe) => probe.error);
  const verdicts = check.probes.flatMap((probe) => probe.verdicts);
  const times = shareTime(check.durationMs, broken.length + verdicts.length);
  const cases: JunitCase[] = broken.map((probe, index) => ({
    classname: spec.name,
    name: `${check.name}: ${probe.kind} probe`,
    status: 'error',
    timeMs: times[index],
    type: 'probe',
    message: `the ${probe.kind} probe broke: ${firstLine(probe.error ?? '')}`,
    details: `the ${probe.kind} probe broke instead of measuring: ${probe.error ?? ''}${check.sent ? `\nsent: ${check.sent}` : ''}`,
  }));
  verdicts.forEach((verdict, index) => {
    // An inconclusive verdict under `inconclusive: fail` fails the run, so it is a <failure> too.
    const status = STATUS_OF_STANDING[standingOf(verdict)];
    const label = verdict.outcome === 'inconclusive' ? 'INCONCLUSIVE: ' : status === 'warning' ? 'WARNING (budget at level warn not met): ' : '';
    cases.push({
      classname: spec.name,
      name: `${check.name}: ${verdict.metric}`,
      status,
      timeMs: times[broken.length + index],
      ...(status === 'failed' ? { type: verdict.outcome === 'inconclusive' ? 'inconclusive' : 'budget', message: verdict.message } : {}),
      details: `${label}${verdict.message}\ntarget: ${verdict.target}\nactual: ${verdict.actual}${status !== 'passed' && check.sent ? `\nsent: ${check.sent}` : ''}`,
    });
  });
  return cases;
}

export function buildJunitSuites(result: RunResult): JunitSuite[] {
  return result.specs.map((spec) => {
    const cases = spec.checks.flatMap((check) => casesOfCheck(spec, check));
    if (spec.errors.length > 0) {
      cases.unshift({
        classname: spec.name,
        name: 'run',
        status: 'error',
        timeMs: 0,
        type: 'run',
        message: firstLine(spec.errors[0]),
        details: spec.errors.join('\n'),
      });
    }
    const counts = countCases(cases);
    const properties: Array<[string, string]> = [
      ['perfspec.spec', spec.file],
      ['perfspec.status', spec.status],
      ['perfspec.aborted', String(result.aborted)],
      ['perfspec.warnings', String(counts.warnings)],
      ['perfspec.inconclusive', String(counts.inconclusive)],
      ['perfspec.runId', result.runId],
      ['perfspec.version', result.tool.version],
      ...(spec.sha256 ? [['perfspec.spec.sha256', spec.sha256] as [string, string]] : []),
      ...(spec.target ? [['perfspec.target', spec.target] as [string, string]] : []),
      ...environmentProperties(result),
    ];
    return { name: spec.name, timestamp: result.startedAt.replace(/\.\d+Z$/, '').replace(/Z$/, ''), properties, cases };
  });
}

function environmentProperties(result: RunResult): Array<[string, string]> {
  const env = result.environment;
  if (!env) return [];
  const properties: Array<[string, string]> = [
    ['node.version', env.node],
    ['host.platform', `${env.platform} ${env.arch}`],
    ['host.cpus', String(env.cpus)],
    ['host.loadavg.start', env.loadBefore.join(' ')],
    ['host.loadavg.end', env.loadAfter.join(' ')],
  ];
  if (env.git) properties.push(['git.commit', env.git.commit], ['git.dirty', String(env.git.dirty)]);
  return properties;
}

/** XML attribute and text escaping; characters XML 1.0 cannot hold at all are dropped. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- naming the control characters XML forbids is the point
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function renderCase(item: JunitCase): string {
  const attrs = `classname="${escapeXml(item.classname)}" name="${escapeXml(item.name)}" time="${seconds(item.timeMs)}" status="${item.status}"`;
  const out = `      <system-out>${escapeXml(item.details)}</system-out>\n`;
  if (item.status === 'failed' || item.status === 'error') {
    const tag = item.status === 'failed' ? 'failure' : 'error';
    return `    <testcase ${attrs}>\n      <${tag} message="${escapeXml(item.message ?? '')}" type="${item.type ?? tag}">${escapeXml(item.details)}</${tag}>\n${out}    </testcase>\n`;
  }
  return `    <testcase ${attrs}>\n${out}    </testcase>\n`;
}

export function renderJunit(result: RunResult): string {
  const suites = buildJunitSuites(result);
  const all = countCases(suites.flatMap((suite) => suite.cases));
  // The run's wall time includes setup and starting the target; never less than its suites' sum.
  const rootMs = Math.max(result.durationMs, all.timeMs);
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += `<testsuites name="perfspec" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" time="${seconds(rootMs)}">\n`;
  suites.forEach((suite, index) => {
    const counts = countCases(suite.cases);
    xml += `  <testsuite name="${escapeXml(suite.name)}" id="${index}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="0" time="${seconds(counts.timeMs)}" timestamp="${escapeXml(suite.timestamp)}">\n`;
    xml += '    <properties>\n';
    for (const [name, value] of suite.properties) xml += `      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>\n`;
    xml += '    </properties>\n';
    for (const item of suite.cases) xml += renderCase(item);
    xml += '  </testsuite>\n';
  });
  xml += '</testsuites>\n';
  return xml;
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
