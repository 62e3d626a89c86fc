/**
 * A MONITOR connection over a plain socket. ioredis has `monitor()`, but it splits lines on `" "`
 * and so mangles keys that contain quotes or spaces; here every line goes through
 * parseMonitorLine. The protocol needed is tiny: optional AUTH, MONITOR, then one simple-string
 * reply per command the server runs.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { RedisEndpoint } from './connect.js';

/** The server refused a command perfspec needs (managed Redis: unknown command, NOPERM). */
export class RedisCapabilityError extends Error {
  constructor(
    readonly capability: 'MONITOR' | 'CONFIG' | 'keymiss',
    message: string,
  ) {
    super(message);
    this.name = 'RedisCapabilityError';
  }
}

export interface MonitorStream {
  /** Idempotent. MONITOR never echoes its own connection, so it needs no filtering. */
  close(): void;
  readonly closed: boolean;
}

export interface MonitorHandlers {
  onLine(line: string): void;
  /** The connection ended or failed while monitoring (not called after close()). */
  onClose(reason: string): void;
}

/** Encode a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Open a MONITOR connection; rejects with RedisCapabilityError when the server refuses MONITOR. */
export function openMonitor(endpoint: RedisEndpoint, handlers: MonitorHandlers, connectTimeoutMs = 3000): Promise<MonitorStream> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = endpoint.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: endpoint.host })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    socket.setNoDelay(true);
    socket.setTimeout(connectTimeoutMs);
    const pending: Array<'AUTH' | 'MONITOR'> = [];
    let buffer = '';
    let monitoring = false;
    let closed = false;
    const stream: MonitorStream = {
      close() {
        if (closed) return;
        closed = true;
        socket.destroy();
      },
      get closed() {
        return closed;
      },
    };
    const fail = (error: Error) => {
      if (closed) return;
      closed = true;
      socket.destroy();
      if (monitoring) handlers.onClose(error.message);
      else reject(error);
    };
    socket.on('timeout', () => {
      if (!monitoring) fail(new Error(`MONITOR connection to ${endpoint.display} timed out`));
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => fail(new Error('the MONITOR connection was closed by the server')));
    socket.on(endpoint.tls ? 'secureConnect' : 'connect', () => {
      if (endpoint.password !== undefined) {
        pending.push('AUTH');
        socket.write(encodeCommand(endpoint.username ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password]));
      }
      pending.push('MONITOR');
      socket.write(encodeCommand(['MONITOR']));
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const reply = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (monitoring) {
          if (reply.startsWith('+')) handlers.onLine(reply.slice(1));
          continue;
        }
        const command = pending.shift();
        if (reply.startsWith('-')) {
          const text = reply.slice(1);
          fail(command === 'MONITOR' ? new RedisCapabilityError('MONITOR', `MONITOR refused: ${text}`) : new Error(text));
          return;
        }
        if (command === 'MONITOR') {
          monitoring = true;
          socket.setTimeout(0);
          resolve(stream);
        }
      }
    });
  });
}
