/**
 * Vitest setup file: tests call library modules directly (no src/cli in between), so the host
 * process src/cli would install is installed here, once per test file.
 */
import { installHostProcess } from '../../src/host-process.js';

installHostProcess(process);
