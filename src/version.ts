/** perfspec's version, read once from package.json: its own module so any layer can name it without importing the CLI. */
import { readFileSync } from 'node:fs';

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
