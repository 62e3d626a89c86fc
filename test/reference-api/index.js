/**
 * The reference API's public surface for in-process use (tests, perfspec's e2e suite).
 * Typed by index.d.ts, so TypeScript callers import from here rather than from app.js directly.
 */
export { createApp } from './app.js';
export { readConfig, DEFAULTS, MODES } from './config.js';
export { SEED, SEED_PASSWORD } from './seed.js';
export { CACHE } from './cache.js';
