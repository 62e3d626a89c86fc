/**
 * Setup and teardown steps: one request each, checked against `expect`, with `capture` storing
 * values from the JSON response into the run's variables.
 */
import type { Step } from '../generated/spec-types.js';
import { PerfspecError, describeError } from '../errors.js';
import { checkJsonExpectations } from '../probes/endpoint/expectations.js';
import type { HttpClient, HttpRequest } from '../sources/http/types.js';
import { parseJsonPath, readJsonPath } from '../spec/json-path.js';
import { planRequest, statusList } from './plan.js';
import type { RequestTemplate } from '../probes/types.js';
import { redactUrl, type SecretRegistry } from '../report/redact.js';

/** The start of a response body for a message, redacted before it is cut (a cut token would no longer match). */
function excerpt(body: string, ctx: StepContext): string {
  return (ctx.secrets ? ctx.secrets.redact(body) : body).slice(0, 300);
}

/** "GET http://127.0.0.1:8001/products/42": a request as sent, for a report or a message, secrets masked. */
export function describeSentRequest(request: Pick<HttpRequest, 'method' | 'url'>, secrets?: SecretRegistry): string {
  const line = `${request.method} ${request.url}`;
  return secrets ? secrets.redact(line) : redactUrl(line);
}

export interface StepContext {
  http: HttpClient;
  build(template: RequestTemplate): HttpRequest;
  timeoutMs: number;
  signal: AbortSignal;
  vars: Record<string, string>;
  log: (message: string) => void;
  /** The run's secrets: captured values join it the moment they are captured. */
  secrets?: SecretRegistry;
}

/** Run steps in order; the first failing step throws a PerfspecError naming it. */
export async function runSteps(steps: Step[], phase: 'setup' | 'teardown', ctx: StepContext): Promise<void> {
  for (const [index, step] of steps.entries()) {
    if (ctx.signal.aborted) return;
    const label = `${phase}[${index}]${step.name ? ` "${step.name}"` : ''} ${step.request}`;
    let request;
    try {
      request = ctx.build(planRequest(step));
    } catch (error) {
      throw new PerfspecError('PS_SETUP_FAILED', `${label}: ${describeError(error)}`);
    }
    const sent = `  sent: ${describeSentRequest(request, ctx.secrets)}`;
    let response;
    try {
      response = await ctx.http.send(request, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    } catch (error) {
      throw new PerfspecError('PS_SETUP_FAILED', `${label} failed: ${describeError(error)}`, { details: [sent] });
    }
    const expected = statusList(step.expect?.status, []);
    const statusOk = expected.length ? expected.includes(response.status) : response.status < 400;
    if (!statusOk) {
      throw new PerfspecError(
        'PS_SETUP_FAILED',
        `${label} answered ${response.status}, expected ${expected.length ? expected.join(' or ') : 'a 2xx/3xx status'}`,
        {
          details: [sent, `  response: ${excerpt(response.body, ctx)}`],
          hint: 'The service under test rejected a setup request: check the request body and the service logs.',
        },
      );
    }
    if (step.expect?.json) {
      const failure = checkJsonExpectations(response.body, step.expect.json);
      if (failure) {
        throw new PerfspecError(
          'PS_SETUP_FAILED',
          `${label}: ${failure.path} is ${JSON.stringify(failure.actual)}, expected ${JSON.stringify(failure.expected)}`,
          { details: [sent] },
        );
      }
    }
    for (const [name, jsonPath] of Object.entries(step.capture ?? {})) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        throw new PerfspecError('PS_SETUP_FAILED', `${label}: cannot capture ${name}, the response is not JSON`, { details: [sent] });
      }
      const value = readJsonPath(parsed, parseJsonPath(jsonPath) ?? []);
      if (value === undefined || value === null) {
        throw new PerfspecError('PS_SETUP_FAILED', `${label}: cannot capture ${name}, ${jsonPath} is missing in the response`, {
          details: [sent, `  response: ${excerpt(response.body, ctx)}`],
        });
      }
      ctx.vars[name] = typeof value === 'string' ? value : JSON.stringify(value);
      ctx.secrets?.addVariable(name, ctx.vars[name]);
    }
    ctx.log(`${label} → ${response.status}`);
  }
}
