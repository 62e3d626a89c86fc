/**
 * Independent checks of a JUnit file: xmllint against the common JUnit XSD (a C validator that
 * shares no code with perfspec) and junit2json (an npm JUnit parser) for the counts a CI reads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, type TestCase, type TestSuite, type TestSuites } from 'junit2json';

const run = promisify(execFile);
export const JUNIT_XSD = fileURLToPath(new URL('../fixtures/junit/junit-10.xsd', import.meta.url));

/** xmllint's complaints about the XML against the XSD; empty when it validates. */
export async function xsdProblems(xml: string): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-junit-'));
  const file = path.join(dir, 'junit.xml');
  await writeFile(file, xml);
  try {
    await run('xmllint', ['--noout', '--schema', JUNIT_XSD, file]);
    return [];
  } catch (error) {
    const failure = error as { code?: string | number; stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('xmllint is not installed: run scripts/setup-test-tools.sh');
    return String(failure.stderr ?? error)
      .split('\n')
      .filter((line) => line && !line.endsWith('fails to validate'));
  }
}

export interface ParsedJunit {
  root: TestSuites;
  suites: TestSuite[];
  cases: TestCase[];
  /** Inconsistencies between the declared counts and the elements, at every level. */
  countProblems: string[];
}

/** Parse with junit2json and compare every declared count with the elements actually present. */
export async function parseJunit(xml: string): Promise<ParsedJunit> {
  const root = (await parse(xml)) as TestSuites;
  const suites = root.testsuite ?? [];
  const problems: string[] = [];
  const tally = (cases: TestCase[]) => ({
    tests: cases.length,
    failures: cases.filter((item) => item.failure?.length).length,
    errors: cases.filter((item) => item.error?.length).length,
    skipped: cases.filter((item) => item.skipped?.length).length,
  });
  const compare = (where: string, declared: Record<string, number | undefined>, actual: Record<string, number>) => {
    for (const [key, value] of Object.entries(actual)) {
      if (declared[key] !== undefined && declared[key] !== value) problems.push(`${where}: ${key}="${declared[key]}" but ${value} present`);
      if (declared[key] === undefined && key !== 'skipped') problems.push(`${where}: no ${key} attribute`);
    }
  };
  for (const suite of suites) {
    compare(
      `testsuite "${suite.name}"`,
      { tests: suite.tests, failures: suite.failures, errors: suite.errors, skipped: suite.skipped },
      tally(suite.testcase ?? []),
    );
    if (suite.time === undefined || Number.isNaN(suite.time)) problems.push(`testsuite "${suite.name}": no time`);
    for (const item of suite.testcase ?? []) if (item.time === undefined || Number.isNaN(item.time)) problems.push(`testcase "${item.name}": no time`);
    const caseSeconds = (suite.testcase ?? []).reduce((sum, item) => sum + (item.time ?? 0), 0);
    if (suite.time !== undefined && Math.abs(caseSeconds - suite.time) > 0.0015 * Math.max(1, (suite.testcase ?? []).length)) {
      problems.push(`testsuite "${suite.name}": time ${suite.time} but its cases add up to ${caseSeconds.toFixed(3)}`);
    }
  }
  const cases = suites.flatMap((suite) => suite.testcase ?? []);
  const { skipped: _skipped, ...rootTally } = tally(cases);
  compare('testsuites', { tests: root.tests, failures: root.failures, errors: root.errors }, rootTally);
  if (root.time === undefined) problems.push('testsuites: no time');
  return { root, suites, cases, countProblems: problems };
}
