/**
 * The HTML report as a person opens it, in a real browser: no console error, no network request,
 * every chart there with the series and point counts the JSON result implies, the exact value on
 * hover, the budgets not met listed first and linking to their open sections, passing sections
 * folded. Screenshots are kept under .tmp/screenshots (CI artefacts).
 *
 * The expected charts are read from the JSON here, independently of the report's chart code.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';

export const SCREENSHOT_DIR = path.resolve('.tmp/screenshots');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface ExpectedChart {
  id: string;
  /** Series name → number of points (bars). */
  series: Record<string, number>;
}

const SPECTRUM = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];
const spectrumCount = (summary: Json | undefined) => SPECTRUM.filter((key) => typeof summary?.[key] === 'number').length;

/** The charts a result's measurements call for, straight from the JSON. */
export function expectedCharts(result: Json): ExpectedChart[] {
  const charts: ExpectedChart[] = [];
  let number = 0;
  for (const spec of result.specs) {
    for (const check of spec.checks) {
      const id = `check-${++number}`;
      for (const probe of check.probes) {
        if (probe.error) continue;
        const data = probe.data;
        if (probe.kind === 'endpoint' && data.warm?.count) charts.push({ id: `${id}-latency`, series: { latency: spectrumCount(data.warm) } });
        if (probe.kind === 'queries' && Array.isArray(data.worst?.groups)) {
          const before = result.comparison?.queryGroups?.find((entry: Json) => entry.spec === spec.name && entry.check === check.name);
          const fingerprints = new Set([
            ...data.worst.groups.map((group: Json) => group.fingerprint),
            ...(before?.groups ?? []).map((group: Json) => group.fingerprint),
          ]);
          const rows = Math.min(15, fingerprints.size);
          if (rows > 0) charts.push({ id: `${id}-queries`, series: before ? { before: rows, after: rows } : { statements: rows } });
        }
        if (probe.kind === 'cache') {
          const patterns = data.hits?.patterns?.length ?? 0;
          if (patterns > 0) charts.push({ id: `${id}-cache-hits`, series: { hits: patterns, misses: patterns } });
          if (data.ttl?.keys > 0)
            charts.push({
              id: `${id}-cache-ttl`,
              series: { keys: data.ttl.buckets.filter((bucket: Json) => bucket.count > 0).length + (data.ttl.noTtl ? 1 : 0) },
            });
          if (data.coldWarm?.cold && data.coldWarm?.warm) {
            const count = (summary: Json) => ['p50', 'p95', 'max'].filter((key) => typeof summary[key] === 'number').length;
            charts.push({ id: `${id}-cache-coldwarm`, series: { cold: count(data.coldWarm.cold), warm: count(data.coldWarm.warm) } });
          }
        }
        if (probe.kind === 'load' && Array.isArray(data.timeline) && data.timeline.length > 0) {
          const timeline: Json[] = data.timeline;
          const n = timeline.length;
          charts.push({ id: `${id}-load-rate`, series: { requests: n, errors: n, dropped: n } });
          const latency: Record<string, number> = {};
          for (const key of ['p50', 'p95', 'p99']) {
            const defined = timeline.filter((point) => typeof point[key] === 'number').length;
            if (defined) latency[key] = defined;
          }
          charts.push({ id: `${id}-load-latency`, series: latency });
          charts.push({ id: `${id}-load-users`, series: { users: n } });
          const names = [...new Set(timeline.flatMap((point) => Object.keys(point.byName ?? {})))];
          if (names.length) {
            charts.push({
              id: `${id}-load-p95-by-request`,
              series: Object.fromEntries(names.map((name) => [name, timeline.filter((point) => typeof point.byName?.[name]?.p95 === 'number').length])),
            });
            charts.push({ id: `${id}-load-rate-by-request`, series: Object.fromEntries(names.map((name) => [name, n])) });
          }
          charts.push({
            id: `${id}-load-spectrum`,
            series: {
              'all requests': spectrumCount(data.overall.latency),
              ...Object.fromEntries(data.requests.map((request: Json) => [request.name, spectrumCount(request.latency)])),
            },
          });
        }
      }
    }
  }
  return charts;
}

export interface HtmlCheckOutcome {
  consoleErrors: string[];
  requests: string[];
  screenshots: string[];
  bytes: number;
}

export async function checkHtmlReport(browser: Browser, htmlFile: string, result: Json, name: string): Promise<HtmlCheckOutcome> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const bytes = (await stat(htmlFile)).size;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  const url = pathToFileURL(htmlFile).href;
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  const screenshots: string[] = [];
  const shot = async (suffix: string, fullPage: boolean) => {
    const file = path.join(SCREENSHOT_DIR, `${name}-${suffix}.png`);
    await page.screenshot({ path: file, fullPage });
    screenshots.push(file);
  };
  await shot('first-screen', false);
  await shot('full', true);

  // Every chart the JSON calls for, with its series and their point counts.
  const charts = await page.$$eval('figure.chart', (figures) =>
    figures.map((figure) => ({
      id: figure.getAttribute('data-chart') ?? '',
      series: Object.fromEntries(
        [...figure.querySelectorAll('g.series')].map((g) => [g.getAttribute('data-series') ?? '', g.querySelectorAll('circle.pt, rect.bar').length]),
      ),
      visibleSvg: figure.querySelector('svg') !== null,
    })),
  );
  const expected = expectedCharts(result);
  expect(charts.map((chart) => chart.id)).toEqual(expected.map((chart) => chart.id));
  for (const chart of expected) expect({ id: chart.id, series: charts.find((found) => found.id === chart.id)!.series }).toEqual(chart);

  // The budgets not met come first, failures before warnings, each linking to its open section.
  const order = await page.$$eval('body > *', (elements) => elements.map((element) => element.id || element.tagName.toLowerCase()));
  // FAIL: an error-level fail, or an inconclusive one under `inconclusive: fail` (it fails the run too).
  const allVerdicts: Json[] = result.specs.flatMap((spec: Json) => spec.checks.flatMap((check: Json) => check.probes.flatMap((probe: Json) => probe.verdicts)));
  const outcomeOf = (v: Json) => v.outcome ?? (v.passed ? 'pass' : 'fail');
  const failedCount = allVerdicts.filter(
    (v) => v.level === 'error' && (outcomeOf(v) === 'fail' || (outcomeOf(v) === 'inconclusive' && v.inconclusive === 'fail')),
  ).length;
  const notMet = (result.summary.failed + result.summary.warned + (result.summary.inconclusive ?? 0)) as number;
  const errors =
    result.specs.reduce((sum: number, spec: Json) => sum + spec.errors.length, 0) +
    result.specs.flatMap((spec: Json) => spec.checks.flatMap((check: Json) => check.probes.filter((probe: Json) => probe.error))).length;
  if (notMet + errors > 0) {
    expect(order.indexOf('attention')).toBe(order.indexOf('header') + 1);
    const items = await page.$$eval('#attention li', (lis) =>
      lis.map((li) => ({ word: li.getAttribute('data-word'), href: li.querySelector('a')?.getAttribute('href') ?? '' })),
    );
    expect(items).toHaveLength(notMet + errors);
    const words = items.map((item) => item.word);
    expect(words.filter((word) => word === 'FAIL')).toHaveLength(failedCount);
    const rank = (word: string | null) => ['ERROR', 'FAIL', 'INCONCLUSIVE', 'WARN'].indexOf(word ?? '');
    expect(words.map(rank)).toEqual([...words.map(rank)].sort((a, b) => a - b));
    for (const item of items.filter((entry) => entry.href)) {
      expect(await page.$eval(item.href, (element) => (element as unknown as { open: boolean }).open)).toBe(true);
    }
    if (items[0]?.href) {
      await page.click(`#attention li:first-child a`);
      expect(new URL(page.url()).hash).toBe(items[0].href);
    }
  } else {
    expect(order).not.toContain('attention');
  }
  // Failing sections open, passing ones folded.
  const sections = await page.$$eval('details.check', (details) =>
    details.map((d) => ({ status: d.getAttribute('data-status'), open: (d as unknown as { open: boolean }).open })),
  );
  expect(sections.length).toBe(result.specs.reduce((sum: number, spec: Json) => sum + spec.checks.length, 0));
  for (const section of sections) expect(section.open).toBe(section.status !== 'passed');

  // Hover shows the exact value: points of the load latency chart (p95) and of an endpoint's spectrum (p95).
  // The point hovered is the first one no other point covers (series overlap where values meet).
  const hoverChecks: Array<{ series: string; expected: (index: number) => string }> = [];
  let number = 0;
  for (const spec of result.specs) {
    for (const check of spec.checks) {
      const id = `check-${++number}`;
      for (const probe of check.probes) {
        if (probe.kind === 'load' && probe.data.timeline?.length) {
          const points = (probe.data.timeline as Json[]).filter((point) => typeof point.p95 === 'number');
          hoverChecks.push({
            series: `[data-chart="${id}-load-latency"] g[data-series="p95"] circle.pt`,
            expected: (k) => `p95 at ${points[k].second} s: ${Number(points[k].p95.toFixed(3))} ms`,
          });
        }
        if (probe.kind === 'endpoint' && probe.data.warm?.count && hoverChecks.length < 2) {
          const keys = SPECTRUM.filter((key) => typeof probe.data.warm[key] === 'number');
          hoverChecks.push({
            series: `[data-chart="${id}-latency"] circle.pt`,
            expected: (k) => `${keys[k]}: ${Number(probe.data.warm[keys[k]].toFixed(3))} ms`,
          });
        }
      }
    }
  }
  expect(hoverChecks.length).toBeGreaterThan(0);
  for (const hover of hoverChecks) {
    // The point farthest from every other point of its chart, its series brought to the front.
    const index = await page.$$eval(hover.series, (circles) => {
      circles[0]?.closest('details')?.setAttribute('open', '');
      const others = [...(circles[0]?.closest('svg')?.querySelectorAll('circle') ?? [])].filter((circle) => !circles.includes(circle));
      const at = (circle: { getAttribute(name: string): string | null }) => [Number(circle.getAttribute('cx')), Number(circle.getAttribute('cy'))];
      let best = -1;
      let bestDistance = 0;
      circles.forEach((circle, i) => {
        const [x, y] = at(circle);
        const nearest = Math.min(
          Infinity,
          ...others.map((other) => Math.hypot(at(other)[0] - x, at(other)[1] - y)),
          ...circles.filter((c) => c !== circle).map((c) => Math.hypot(at(c)[0] - x, at(c)[1] - y)),
        );
        if (best < 0 || nearest > bestDistance) [best, bestDistance] = [i, nearest];
      });
      // Series drawn later cover earlier ones where values meet: draw the hovered series last.
      const group = circles[best]?.closest('g');
      group?.parentNode?.appendChild(group);
      return best;
    });
    expect(index).toBeGreaterThanOrEqual(0);
    const target = page.locator(hover.series).nth(index);
    await target.scrollIntoViewIfNeeded();
    await target.hover();
    await expect.poll(() => page.$eval('#tip', (tip) => (tip.hasAttribute('hidden') ? '' : tip.textContent))).toBe(hover.expected(index));
  }
  await shot('hover', false);
  await page.close();
  return { consoleErrors, requests, screenshots, bytes };
}
