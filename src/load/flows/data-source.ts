/**
 * Data for flows: rows from an inline list, a CSV file, or a setup variable (a JSON array or a
 * comma-separated list, e.g. tokens of pooled test users). Loading is I/O; picking is pure state.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { DataOrder, DataSourceConfig } from '../types.js';
import type { Row } from '../../spec/interpolate.js';

/** RFC 4180 CSV (quotes, doubled quotes, CRLF); the first line names the columns. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const rows = records.filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((values) => Object.fromEntries(header.map((name, i) => [name.trim(), values[i] ?? ''])));
}

export function loadRows(name: string, config: DataSourceConfig, vars: Record<string, string>, baseDir: string): Row[] {
  if ('values' in config) return config.values;
  if ('csv' in config) {
    const path = isAbsolute(config.csv) ? config.csv : resolve(baseDir, config.csv);
    return parseCsv(readFileSync(path, 'utf8'));
  }
  const text = vars[config.var];
  if (text === undefined) throw new Error(`data.${name}: variable "${config.var}" is not set (capture it in setup or pass --set ${config.var}=...)`);
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed)) return parsed;
  }
  return trimmed
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export interface RowPicker {
  next(): Row;
}

/**
 * Sequential picks stripe across generators (generator i of n takes rows i, i+n, …) so workers
 * do not all start on the same test user; random picks are uniform.
 */
export function createRowPicker(rows: readonly Row[], order: DataOrder, index = 0, count = 1, random: () => number = Math.random): RowPicker {
  if (rows.length === 0) throw new Error('a data source has no rows');
  if (order === 'random') return { next: () => rows[Math.floor(random() * rows.length)] };
  let cursor = index;
  return {
    next() {
      const row = rows[cursor % rows.length];
      cursor += count;
      return row;
    },
  };
}
