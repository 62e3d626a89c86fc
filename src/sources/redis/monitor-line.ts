/**
 * One line of MONITOR output: `1700000000.123456 [0 127.0.0.1:52144] "GET" "sso:config:1"`.
 *
 * Redis writes each argument with sdscatrepr: wrapped in double quotes, with `\\`, `\"`, `\n`,
 * `\r`, `\t`, `\a`, `\b` escaped and every other non-printable byte (including all bytes >= 0x80)
 * as `\xHH`. The source is `ip:port`, `[ipv6]:port`, `unix:/path` or `lua` (commands run by a
 * script). Arguments are returned as byte strings (one char per byte, see glob.ts) so that keys
 * compare byte-exactly with SCAN results and key-miss notifications.
 */

export interface MonitorLine {
  /** Server time in seconds (with microseconds). */
  timestamp: number;
  db: number;
  /** `ip:port`, `[ipv6]:port`, `unix:/path` or `lua`. */
  source: string;
  /** The command name as the client sent it (any case) followed by its arguments, unescaped. */
  args: string[];
}

const HEAD = /^(\d+(?:\.\d+)?) \[(\d+) /;

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
};

/** Parse one MONITOR line; undefined for anything that is not a command line (e.g. "OK"). */
export function parseMonitorLine(line: string): MonitorLine | undefined {
  const head = HEAD.exec(line);
  if (!head) return undefined;
  // The source ends at the first `] "`: an IPv6 source contains `]` but never followed by ` "`.
  const sourceStart = head[0].length;
  const sourceEnd = line.indexOf('] "', sourceStart);
  if (sourceEnd < 0) return undefined;
  const args = parseQuotedArgs(line, sourceEnd + 2);
  if (!args || args.length === 0) return undefined;
  return { timestamp: Number(head[1]), db: Number(head[2]), source: line.slice(sourceStart, sourceEnd), args };
}

/** The space-separated quoted arguments starting at `index`; undefined when malformed. */
function parseQuotedArgs(line: string, index: number): string[] | undefined {
  const args: string[] = [];
  let i = index;
  while (i < line.length) {
    if (line[i] !== '"') return undefined;
    i++;
    let arg = '';
    let closed = false;
    while (i < line.length) {
      const ch = line[i];
      if (ch === '"') {
        closed = true;
        i++;
        break;
      }
      if (ch !== '\\') {
        arg += ch;
        i++;
        continue;
      }
      const next = line[i + 1];
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
        arg += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (next !== undefined && next in SIMPLE_ESCAPES) {
        arg += SIMPLE_ESCAPES[next];
        i += 2;
      } else {
        return undefined;
      }
    }
    if (!closed) return undefined;
    args.push(arg);
    if (i < line.length) {
      if (line[i] !== ' ') return undefined;
      i++;
    }
  }
  return args;
}
