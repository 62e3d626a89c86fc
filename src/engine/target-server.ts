/**
 * Start the service under test (Playwright's webServer): reuse one that already answers, otherwise
 * spawn the command in its own process group, wait until the ready path answers, and stop the
 * whole group afterwards. `stop` is idempotent and safe on every exit path.
 */
import { hostProcess } from '../host-process.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PerfspecError } from '../errors.js';
import { redactUrl } from '../report/redact.js';
import { joinUrl } from './request-builder.js';

export interface StartOptions {
  baseUrl: string;
  command: string;
  cwd?: string;
  specDir: string;
  env: Record<string, string>;
  /** What the started command inherits, handed in by src/cli: the process's environment and working directory. */
  host: HostEnvironment;
  ready: string;
  reuseExisting: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  log: (message: string) => void;
}

/** The environment and working directory of the perfspec process (only src/cli reads them from `process`). */
export interface HostEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface TargetHandle {
  /** True when perfspec started the service (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
  /** Base URLs of every replica when several were started (target.start.replicas). */
  replicas?: string[];
}

/**
 * Does something accept TCP connections at the URL's host and port? The connection is closed as
 * soon as it is open and not a byte is written on it: perfspec checks that the target is there
 * (before the run, and after a failed check to tell a dead target from a broken budget) without
 * putting a request the spec did not ask for on the wire. An HTTP request here would also judge
 * the target's HTTP, which is the probes' job: a target sending `Content-Length: -5` is a
 * protocol error of the run, not "nothing answers".
 */
export async function canConnect(url: string, timeoutMs: number): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  const { connect } = await import('node:net');
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const settle = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

/**
 * Does something answer at the URL with a 2xx/3xx? (Any HTTP answer when `anyStatus`.) Node's own
 * http client, not undici: one request per run does not justify loading undici at start-up.
 */
export async function probeUrl(url: string, timeoutMs = 1000, anyStatus = false): Promise<boolean> {
  let request: typeof import('node:http').request;
  try {
    request = new URL(url).protocol === 'https:' ? (await import('node:https')).request : (await import('node:http')).request;
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = request(url, { method: 'GET', agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      response.on('error', () => settle(false));
      response.on('end', () => settle(anyStatus || (status >= 200 && status < 400)));
      response.resume();
    });
    // One bound on the whole exchange (headers and body), like a request timeout.
    const timer = setTimeout(() => {
      req.destroy();
      settle(false);
    }, timeoutMs);
    req.on('error', () => settle(false));
    req.end();
  });
}

export async function startTarget(options: StartOptions): Promise<TargetHandle> {
  const readyUrl = joinUrl(options.baseUrl, options.ready).toString();
  if (options.reuseExisting && (await probeUrl(readyUrl))) {
    options.log(`target: reusing the service already answering at ${redactUrl(readyUrl)}`);
    return { started: false, stop: async () => undefined };
  }

  const cwd = options.cwd ? path.resolve(options.specDir, options.cwd) : options.host.cwd;
  if (!existsSync(cwd)) {
    // spawn would fail with a bare ENOENT, shown as "(pid undefined) … exited with code -1".
    throw new PerfspecError('PS_SPEC_INVALID', `target.start.cwd: the directory ${cwd} does not exist`, {
      hint: 'Fix target.start.cwd (relative to the spec file) or remove it to start the command in the current directory.',
    });
  }
  const port = new URL(options.baseUrl).port || (options.baseUrl.startsWith('https') ? '443' : '80');
  const output: string[] = [];
  const child = spawn(options.command, {
    shell: true,
    detached: true, // its own process group, so stop() also ends what the shell started
    cwd,
    env: { ...options.host.env, PORT: port, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 40) output.splice(0, output.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  let spawnError: string | undefined;
  child.on('error', (error: NodeJS.ErrnoException) => {
    spawnError = error.code ?? error.message;
    exited = -1;
  });

  // Safety net for exits that skip the normal cleanup (a second Ctrl-C, a crash): the service
  // perfspec started must not outlive it.
  const killOnExit = () => {
    try {
      if (child.pid !== undefined) hostProcess().kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  hostProcess().once('exit', killOnExit);
  const handle: TargetHandle = {
    started: true,
    stop: async () => {
      hostProcess().off('exit', killOnExit);
      await stopGroup(child);
    },
  };
  options.log(`target: started \`${options.command}\`${child.pid === undefined ? '' : ` (pid ${child.pid})`}, waiting for ${redactUrl(readyUrl)}`);

  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (options.signal.aborted) {
      await handle.stop();
      throw new PerfspecError('PS_ABORTED', 'interrupted while waiting for the target to start');
    }
    if (spawnError !== undefined) {
      throw new PerfspecError('PS_TARGET_START_FAILED', `target.start command could not be started (${spawnError})`, {
        hint: 'Check target.start.command and target.start.cwd.',
      });
    }
    if (exited !== undefined) {
      throw new PerfspecError('PS_TARGET_START_FAILED', `target.start command exited with code ${exited} before ${redactUrl(readyUrl)} answered`, {
        hint: 'Run the command by hand to see why it fails, or fix target.start.command.',
        details: output.slice(-10).map((line) => `  | ${line}`),
      });
    }
    if (await probeUrl(readyUrl, 500)) return handle;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await handle.stop();
  throw new PerfspecError(
    'PS_TARGET_START_FAILED',
    `target did not answer at ${redactUrl(readyUrl)} within ${Math.round(options.timeoutMs / 1000)}s of starting`,
    {
      hint: 'Raise target.start.timeout, or check that the command listens on the port of target.baseUrl (perfspec sets PORT).',
      details: output.slice(-10).map((line) => `  | ${line}`),
    },
  );
}

/**
 * SIGTERM the whole process group, wait until every member is gone (the shell may exit before the
 * server it started), SIGKILL whatever is left after 3 s.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const group = -child.pid;
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      hostProcess().kill(group, signal);
      return true;
    } catch {
      return false; // ESRCH: nobody left in the group
    }
  };
  if (!signalGroup('SIGTERM')) return;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (!signalGroup(0)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  signalGroup('SIGKILL');
  for (let i = 0; i < 40 && signalGroup(0); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
}
