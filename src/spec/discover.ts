/** Expand the command line's files and directories into spec files (`*.yaml`, `*.yml`), sorted. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface Discovery {
  files: string[];
  missing: string[];
}

export async function discoverSpecFiles(inputs: string[]): Promise<Discovery> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      missing.push(input);
      continue;
    }
    if (info.isDirectory()) files.push(...(await listYaml(input)));
    else files.push(input);
  }
  return { files: [...new Set(files)], missing };
}

async function listYaml(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await listYaml(full)));
    else if (/\.ya?ml$/i.test(entry.name)) found.push(full);
  }
  return found;
}
