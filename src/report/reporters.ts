/**
 * Reporters behind one small interface, chosen by name from a table, called through a multiplexer
 * so one failing reporter cannot break the others (Playwright's Multiplexer). File reporters write
 * atomically (temp file + rename) so CI never reads a half-written report.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, RunResult } from '../result/result.js';
import type { Reporter, ReporterContext, ReporterDescription, ReporterFactory, ReporterOptions } from './reporter.js';
import { redactDeep } from './redact.js';
import { buildReportView, markdownCell } from './view-model.js';
import { createConsoleReporter } from './console-reporter.js';
import { githubAnnotations, githubSummary } from './github.js';
import type { ReporterName } from './reporter-names.js';
import { renderJunit } from './junit.js';
import { createNdjsonReporter } from './ndjson-reporter.js';
import { inlineMarkdown } from './inline-markdown.js';
import { renderChart } from './charts/svg.js';

// The contract lives in reporter.ts (console-reporter.ts implements it without importing this table).
export type { Reporter, ReporterContext, ReporterDescription, ReporterFactory, ReporterOptions };

const TEMPLATE_DIR = new URL('../../templates/', import.meta.url);

async function renderTemplate(name: string, data: Record<string, unknown>): Promise<string> {
  const template = await readFile(new URL(name, TEMPLATE_DIR), 'utf8');
  // ejs is imported by the first file report rendered, not by every command.
  const { default: ejs } = await import('ejs');
  return ejs.render(template, data, { filename: new URL(name, TEMPLATE_DIR).pathname });
}

/** Write a file atomically: readers see the old content or the new one, never half of it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/**
 * A reporter that renders the result into one file. Secrets are redacted in the result's strings
 * before rendering, never in the rendered text: text-level replacement could break the JSON
 * (or miss a secret that the format escapes).
 */
function fileReporter(name: string, fileName: string, render: (result: RunResult) => Promise<string>): ReporterFactory {
  return (ctx, options) => ({
    name,
    async onEnd(result) {
      // `outputFile` (option) overrides the default name inside --out.
      const file = typeof options.outputFile === 'string' ? path.resolve(ctx.cwd, options.outputFile) : path.join(ctx.outDir, fileName);
      const content = await render(redactDeep(result, ctx.redact));
      if (ctx.files) {
        await ctx.files.stage(file, content);
        return [];
      }
      await writeFileAtomic(file, content);
      return [file];
    },
  });
}

export const REPORTERS: Record<ReporterName, ReporterFactory> & Record<string, ReporterFactory> = {
  console: createConsoleReporter,
  markdown: fileReporter('markdown', 'perfspec-report.md', (result) =>
    renderTemplate('markdown.md.ejs', { view: buildReportView(result), cell: markdownCell }),
  ),
  html: fileReporter('html', 'perfspec-report.html', (result) =>
    renderTemplate('html.html.ejs', { view: buildReportView(result), md: inlineMarkdown, renderChart }),
  ),
  json: fileReporter('json', 'perfspec-report.json', async (result) => `${JSON.stringify(result, null, 2)}\n`),
  junit: fileReporter('junit', 'perfspec-junit.xml', async (result) => renderJunit(result)),
  github: createGithubReporter,
  ndjson: createNdjsonReporter,
};

/**
 * `"console, junit"` → `[['console'], ['junit']]`; unknown names are a usage error naming the
 * ones that exist (the one list: REPORTERS).
 */
export function parseReporterList(text: string): { reporters: ReporterDescription[]; unknown: string[] } {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return { reporters: names.filter((name) => name in REPORTERS).map((name) => [name] as const), unknown: names.filter((name) => !(name in REPORTERS)) };
}

export function createReporters(descriptions: readonly ReporterDescription[], ctx: ReporterContext): Reporter[] {
  return descriptions.map(([name, options]) => REPORTERS[name](ctx, options ?? {}));
}

/**
 * GitHub Actions: annotations on stdout (GitHub reads workflow commands from the step's output)
 * and the Markdown summary appended to $GITHUB_STEP_SUMMARY (or the `summaryFile` option).
 */
function createGithubReporter(ctx: ReporterContext, options: ReporterOptions): Reporter {
  return {
    name: 'github',
    async onEnd(result) {
      const redacted = redactDeep(result, ctx.redact);
      for (const line of githubAnnotations(redacted)) ctx.stdout.write(`${line}\n`);
      const target = typeof options.summaryFile === 'string' ? path.resolve(ctx.cwd, options.summaryFile) : ctx.env.GITHUB_STEP_SUMMARY;
      if (!target) return [];
      // GitHub collects the summary of every step from this file: append, never replace.
      await appendFile(target, githubSummary(redacted));
      return [target];
    },
  };
}

/** Calls every reporter; a reporter that throws is named on stderr and the others carry on. */
export function createMultiplexer(reporters: Reporter[], onReporterError: (name: string, error: unknown) => void) {
  const wrap = (reporter: Reporter, call: () => void) => {
    try {
      call();
    } catch (error) {
      onReporterError(reporter.name, error);
    }
  };
  return {
    onSpecBegin(info: { file: string; name: string }) {
      for (const reporter of reporters) wrap(reporter, () => reporter.onSpecBegin?.(info));
    },
    onCheckEnd(check: CheckResult) {
      for (const reporter of reporters) wrap(reporter, () => reporter.onCheckEnd?.(check));
    },
    onMetrics(check: string, second: Record<string, unknown>) {
      for (const reporter of reporters) wrap(reporter, () => reporter.onMetrics?.(check, second));
    },
    async onEnd(result: RunResult): Promise<string[]> {
      const written: string[] = [];
      for (const reporter of reporters) {
        try {
          written.push(...(await reporter.onEnd(result)));
        } catch (error) {
          onReporterError(reporter.name, error);
        }
      }
      return written;
    },
  };
}
