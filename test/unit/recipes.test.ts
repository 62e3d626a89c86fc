/**
 * The distributed-run recipes kept in the repository, validated offline: the Kubernetes manifests
 * against the Kubernetes API schema (kubernetes-models' validators, generated from the OpenAPI
 * spec), the GitHub Actions workflow against the workflow schema (action-validator), and both for
 * what makes a sharded run correct (N in step everywhere, unique artifacts, one merge).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadSpecText } from '../../src/spec/load-spec.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read as plain YAML data */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'batch/v1/Job': Job,
};

function validateManifest(doc: any): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no model for ${doc.apiVersion}/${doc.kind}`);
  new Model(doc).validate();
}

describe('Kubernetes recipe: Indexed Job of shards + merge Job', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/perfspec-shards.yaml')).map((d) => d.toJS() as any);
  const byName = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  const shards = byName('Job', 'perfspec-shards');
  const merge = byName('Job', 'perfspec-merge');

  it('every document is valid against the Kubernetes API schema', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'ConfigMap/perfspec-spec',
      'PersistentVolumeClaim/perfspec-results',
      'Job/perfspec-shards',
      'Job/perfspec-merge',
    ]);
    for (const doc of docs) expect(() => validateManifest(doc), `${doc.kind}/${doc.metadata.name}`).not.toThrow();
  });

  it('the validator does reject a broken manifest (so the check above can fail)', () => {
    const broken = structuredClone(shards);
    broken.spec.completions = 'four';
    expect(() => validateManifest(broken)).toThrow(/completions must be integer/);
    const noImage = structuredClone(merge);
    delete noImage.spec.template;
    expect(() => validateManifest(noImage)).toThrow(/template/);
  });

  it('runs N shards at once, one per index, with N the same everywhere, and merges them from one shared volume', () => {
    const spec = shards.spec;
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toBe(spec.parallelism);
    expect(spec.backoffLimit).toBe(0);
    const container = spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    expect(Number(env.PERFSPEC_SHARDS)).toBe(spec.completions);
    expect(Number.isNaN(Date.parse(env.START_AT))).toBe(false);
    // Each shard writes its own directory (JOB_COMPLETION_INDEX is set by the Job controller).
    expect(container.args).toEqual(expect.arrayContaining(['run', '--start-at', '$(START_AT)', '/results/shard-$(JOB_COMPLETION_INDEX)']));
    const mergeContainer = merge.spec.template.spec.containers[0];
    expect(mergeContainer.args.slice(0, 2)).toEqual(['merge', '/results']);
    expect(mergeContainer.image).toBe(container.image);
    const wait = merge.spec.template.spec.initContainers[0];
    expect(Number(wait.env.find((e: any) => e.name === 'EXPECTED_SHARDS').value)).toBe(spec.completions);
    const claim = (job: any) => job.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    expect(claim(shards)).toBe('perfspec-results');
    expect(claim(merge)).toBe('perfspec-results');
    expect(byName('PersistentVolumeClaim', 'perfspec-results').spec.accessModes).toContain('ReadWriteMany');
  });

  it('the spec in the ConfigMap is a valid perfspec spec', () => {
    const text = byName('ConfigMap', 'perfspec-spec').data['perf.yaml'];
    const outcome = loadSpecText('perf.yaml', text, { env: {} });
    expect(outcome.problems).toEqual([]);
  });
});

describe('GitHub Actions recipe: matrix of shards + merge job', () => {
  const text = read('deploy/github-actions/perfspec-distributed.yml');
  const workflow = parse(text) as any;

  it('is a valid workflow for the workflow schema', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('the validator does reject a broken workflow (so the check above can fail)', () => {
    const broken = text.replace('runs-on: ubuntu-latest\n    timeout-minutes: 60', 'runs_on: ubuntu-latest\n    timeout-minutes: 60');
    expect(broken).not.toBe(text);
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it('gives every leg a unique artifact name, runs the right shard of N, and merges them all even after a shard failed', () => {
    const shard = workflow.jobs.shard;
    const legs: number[] = shard.strategy.matrix.shard;
    expect(legs).toEqual(legs.map((_, i) => i));
    expect(shard.strategy['fail-fast']).toBe(false);
    const run = shard.steps.find((s: any) => typeof s.run === 'string' && s.run.includes('perfspec run')).run as string;
    expect(run).toContain(`--shard \${{ matrix.shard }}/${legs.length}`);
    expect(run).toContain('--start-at ${{ needs.plan.outputs.start-at }}');
    const upload = shard.steps.find((s: any) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.with.name).toContain('${{ matrix.shard }}');
    expect(upload.with['if-no-files-found']).toBe('error');

    const merge = workflow.jobs.merge;
    expect(merge.needs).toBe('shard');
    expect(merge.if).toContain('!cancelled()');
    const download = merge.steps.find((s: any) => String(s.uses).startsWith('actions/download-artifact@'));
    // The pattern matches every leg's artifact name.
    const pattern = new RegExp(
      `^${String(download.with.pattern)
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    for (const leg of legs) expect(String(upload.with.name).replace('${{ matrix.shard }}', String(leg))).toMatch(pattern);
    expect(merge.steps.some((s: any) => typeof s.run === 'string' && s.run.includes(`perfspec merge ${download.with.path}`))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');

  it('copies only what exists, runs the CLI entry point on the Node major of package.json engines, not as root', () => {
    const copies = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copies.length).toBeGreaterThan(3);
    for (const source of copies) expect(existsSync(path.join(root, source)), source).toBe(true);
    expect(text).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/perfspec\.js"\]$/m);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const major = /(\d+)/.exec(engines)![1];
    for (const from of text.matchAll(/^FROM node:(\d+)/gm)) expect(from[1]).toBe(major);
    expect(text).toMatch(/^USER node$/m);
    expect(read('.dockerignore')).toMatch(/^node_modules$/m);
  });
});
