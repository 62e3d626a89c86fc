/** `perfspec init`: write the commented starter spec (templates/starter.yaml), never over an existing file unless --force. */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, PerfspecError } from '../../errors.js';
import { writeFileAtomic } from '../../report/reporters.js';
import type { CliProcess } from '../process.js';

const STARTER = new URL('../../../templates/starter.yaml', import.meta.url);

export async function initCommand(proc: CliProcess, file: string, options: { force?: boolean }): Promise<number> {
  const target = path.resolve(proc.cwd(), file);
  const exists = await access(target).then(
    () => true,
    () => false,
  );
  if (exists && !options.force) {
    throw new PerfspecError('PS_USAGE', `${file} already exists`, { hint: 'Choose another path or pass --force to overwrite it.' });
  }
  const schemaPath = path.relative(path.dirname(target), path.resolve(new URL('../../../schemas/perfspec.schema.json', import.meta.url).pathname));
  const starter = (await readFile(STARTER, 'utf8')).replace('__SCHEMA_PATH__', schemaPath.split(path.sep).join('/'));
  await writeFileAtomic(target, starter);
  proc.stdout.write(`Wrote ${file}. Check it with: perfspec validate ${file}\n`);
  return ExitCode.Pass;
}
