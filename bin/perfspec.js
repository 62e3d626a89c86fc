#!/usr/bin/env -S node --max-semi-space-size=4
// A young generation capped at 4 MB per semi-space: under load V8 would otherwise grow it to 16 MB
// and the command would hold ~20 MB more RSS than the requests need, for no measured CPU gain.
// The bin only hands the real process to the library; everything else lives in src/cli.
import { main } from '../dist/cli/main.js';
main(process);
