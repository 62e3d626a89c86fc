/**
 * The process as the commands see it: every byte written to stdout and stderr passes through the
 * run's secret registry, so no message — a usage error, a spec problem quoting an env value, a
 * progress line — can print a secret, whichever module wrote it.
 */
import { SecretRegistry } from '../report/redact.js';
import type { CliProcess } from './process.js';

export function withRedaction(proc: CliProcess): CliProcess & { secrets: SecretRegistry } {
  const secrets = proc.secrets ?? new SecretRegistry();
  // Fed before any spec is read: a secret env value quoted in a validation message is masked too.
  secrets.addEnvironment(proc.env);
  const wrap = (stream: CliProcess['stdout']): CliProcess['stdout'] => ({
    isTTY: stream.isTTY,
    write: (text: string) => stream.write(secrets.redact(text)),
  });
  // A plain object: the real `process` has getter-only streams that cannot be overridden.
  return {
    argv: proc.argv,
    env: proc.env,
    stdout: wrap(proc.stdout),
    stderr: wrap(proc.stderr),
    cwd: () => proc.cwd(),
    on: proc.on.bind(proc),
    off: proc.off.bind(proc),
    exit: proc.exit ? (code: number) => proc.exit!(code) : undefined,
    secrets,
  };
}
