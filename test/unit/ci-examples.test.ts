/**
 * The ready-to-copy CI files: the GitHub workflow passes action-validator (GitHub's workflow schema,
 * compiled to WebAssembly: offline), the GitLab file passes structural checks of GitLab's job
 * keywords, and the perfspec command in each names only reporters that exist.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseReporterList } from '../../src/report/reporters.js';

const GITHUB = 'examples/github-actions/perfspec.yml';
const GITLAB = 'examples/gitlab-ci/.gitlab-ci.yml';

/** The reporters of the `perfspec run` command line in a CI script (continued lines joined). */
function reportersOf(script: string): string[] {
  const command = script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .find((line) => line.includes('npx perfspec run'));
  expect(command).toBeDefined();
  const list = /--reporter\s+(\S+)/.exec(command!)?.[1];
  expect(list).toBeDefined();
  const { reporters, unknown } = parseReporterList(list!);
  expect(unknown).toEqual([]);
  return reporters.map(([name]) => name);
}

describe('examples/github-actions/perfspec.yml', () => {
  it('passes action-validator, as a library and as its CLI', async () => {
    const text = await readFile(GITHUB, 'utf8');
    expect(validateWorkflow(text).errors).toEqual([]);
    await expect(promisify(execFile)('node_modules/.bin/action-validator', [GITHUB])).resolves.toBeDefined();
  });

  it('the validator really checks: a misspelt key is rejected', async () => {
    const text = (await readFile(GITHUB, 'utf8')).replace('runs-on:', 'runs-onn:');
    expect(validateWorkflow(text).errors.length).toBeGreaterThan(0);
  });

  it('has PostgreSQL and Redis services, runs perfspec with the github reporter, keeps the reports, takes main as baseline', async () => {
    const workflow = parse(await readFile(GITHUB, 'utf8'));
    const job = workflow.jobs.perfspec;
    expect(Object.keys(job.services)).toEqual(['postgres', 'redis']);
    expect(job.services.postgres.image).toMatch(/^postgres:/);
    expect(job.services.redis.image).toMatch(/^redis:/);
    const steps: Array<{ name?: string; run?: string; uses?: string; if?: string; with?: Record<string, unknown> }> = job.steps;
    const run = steps.find((step) => step.run?.includes('npx perfspec run'))!;
    expect(reportersOf(run.run!)).toContain('github');
    expect(run.run).toContain('--baseline baseline/perfspec-report.json');
    const baseline = steps.find((step) => step.run?.includes('gh run download'))!;
    expect(baseline.run).toContain('--branch main');
    expect(baseline.run).toContain('--name perfspec-reports');
    const upload = steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload).toMatchObject({ if: 'always()', with: { name: 'perfspec-reports', path: 'perfspec-reports/' } });
    expect(steps.indexOf(upload)).toBeGreaterThan(steps.indexOf(run));
  });
});

// GitLab's job keywords (docs.gitlab.com/ee/ci/yaml): no schema ships in an npm package that runs offline.
const GITLAB_JOB_KEYS = new Set([
  'after_script',
  'allow_failure',
  'artifacts',
  'before_script',
  'cache',
  'coverage',
  'dast_configuration',
  'dependencies',
  'environment',
  'extends',
  'hooks',
  'id_tokens',
  'identity',
  'image',
  'inherit',
  'interruptible',
  'manual_confirmation',
  'needs',
  'only',
  'except',
  'pages',
  'parallel',
  'release',
  'resource_group',
  'retry',
  'rules',
  'run',
  'script',
  'secrets',
  'services',
  'stage',
  'tags',
  'timeout',
  'trigger',
  'variables',
  'when',
]);
const GITLAB_GLOBAL_KEYS = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script']);

describe('examples/gitlab-ci/.gitlab-ci.yml', () => {
  it('is YAML whose every key is a GitLab keyword, with a runnable job', async () => {
    const config = parse(await readFile(GITLAB, 'utf8'));
    const jobs = Object.entries(config).filter(([key]) => !GITLAB_GLOBAL_KEYS.has(key));
    expect(jobs.map(([name]) => name)).toEqual(['perfspec']);
    for (const [, job] of jobs as Array<[string, Record<string, unknown>]>) {
      expect(Object.keys(job).filter((key) => !GITLAB_JOB_KEYS.has(key))).toEqual([]);
      expect(Array.isArray(job.script)).toBe(true);
      expect(config.stages).toContain(job.stage);
    }
  });

  it('has PostgreSQL and Redis services, keeps the reports, feeds JUnit to the merge request, takes the default branch as baseline', async () => {
    const job = parse(await readFile(GITLAB, 'utf8')).perfspec;
    expect(job.services.map((service: { name: string }) => service.name.split(':')[0])).toEqual(['postgres', 'redis']);
    expect(job.artifacts).toMatchObject({ when: 'always', paths: ['perfspec-reports/'], reports: { junit: 'perfspec-reports/perfspec-junit.xml' } });
    const script: string = job.script.join('\n');
    expect(reportersOf(script)).toEqual(expect.arrayContaining(['junit', 'json']));
    expect(script).toContain('jobs/artifacts/$CI_DEFAULT_BRANCH/raw/perfspec-reports/perfspec-report.json?job=perfspec');
    expect(script).toContain('--baseline baseline.json');
    // The services' hosts are the aliases the URLs use.
    expect(job.variables.DATABASE_URL).toContain('@postgres:5432/');
    expect(job.variables.REDIS_URL).toContain('//redis:6379/');
  });
});
