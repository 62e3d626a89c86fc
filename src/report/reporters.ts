/**
 * Reporters behind one small interface, chosen by name from a table, called through a multiplexer
 * so one failing reporter cannot break the others (Playwright's Multiplexer). File reporters write
 * atomically (temp file + rename) so CI never reads a half-written report.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ejs from 'ejs';
import type { CheckResult, RunResult } from './result.js';
import { redactDeep, type Redactor } from './redact.js';
import { buildReportView, markdownCell } from './view-model.js';
import { createConsoleReporter } from './console-reporter.js';
import { renderJunit } from './junit.js';

export interface ReporterContext {
  outDir: string;
  stdout: { write(text: string): unknown };
  redact: Redactor;
  color: boolean;
}

export interface Reporter {
  name: string;
  onSpecBegin?(info: { file: string; name: string }): void;
  onCheckEnd?(check: CheckResult): void;
  /** Returns the files written, if any. */
  onEnd(result: RunResult): Promise<string[]>;
}

export type ReporterFactory = (ctx: ReporterContext) => Reporter;

const TEMPLATE_DIR = new URL('../../templates/', import.meta.url);

async function renderTemplate(name: string, data: Record<string, unknown>): Promise<string> {
  const template = await readFile(new URL(name, TEMPLATE_DIR), 'utf8');
  return ejs.render(template, data, { filename: new URL(name, TEMPLATE_DIR).pathname });
}

/** Write a file atomically: readers see the old content or the new one, never half of it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/**
 * A reporter that renders the result into one file. Secrets are redacted in the result's strings
 * before rendering, never in the rendered text: text-level replacement could break the JSON
 * (or miss a secret that the format escapes).
 */
function fileReporter(name: string, fileName: string, render: (result: RunResult) => Promise<string>): ReporterFactory {
  return (ctx) => ({
    name,
    async onEnd(result) {
      const file = path.join(ctx.outDir, fileName);
      await writeFileAtomic(file, await render(redactDeep(result, ctx.redact)));
      return [file];
    },
  });
}

export const REPORTERS: Record<string, ReporterFactory> = {
  console: createConsoleReporter,
  markdown: fileReporter('markdown', 'perfspec-report.md', (result) =>
    renderTemplate('markdown.md.ejs', { view: buildReportView(result), cell: markdownCell }),
  ),
  html: fileReporter('html', 'perfspec-report.html', (result) => renderTemplate('html.html.ejs', { view: buildReportView(result) })),
  json: fileReporter('json', 'perfspec-report.json', async (result) => `${JSON.stringify(result, null, 2)}\n`),
  junit: fileReporter('junit', 'perfspec-junit.xml', async (result) => renderJunit(result)),
};

export const DEFAULT_REPORTERS = ['console', 'markdown', 'html', 'json', 'junit'];

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
