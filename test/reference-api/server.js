#!/usr/bin/env node
/**
 * Entry point: `node test/reference-api/server.js`.
 *
 * Reads the environment (see README.md), starts the app, prints one line with the URL it listens on
 * (PORT=0 picks a free port — the line is how a caller learns it), and on SIGTERM/SIGINT stops
 * accepting requests, lets in-flight ones finish and closes the PostgreSQL and Redis pools before
 * exiting, so a test harness that stops it leaves no idle backends behind.
 */
import { readConfig } from './config.js';
import { createApp } from './app.js';

let config;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(`reference-api: ${err.message}`);
  process.exit(2);
}

let app;
try {
  app = await createApp(config);
} catch (err) {
  console.error(`reference-api (${config.mode}) failed to start: ${err?.message ?? err}`);
  process.exit(1);
}

console.log(`reference-api (${config.mode}) listening on ${app.url}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    console.log(`reference-api (${config.mode}) received ${signal}, shutting down`);
    app.close().then(
      () => process.exit(0),
      (err) => {
        console.error(`reference-api: shutdown failed: ${err?.message ?? err}`);
        process.exit(1);
      },
    );
  });
}
