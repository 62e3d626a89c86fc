#!/usr/bin/env node
// The bin only hands the real process to the library; everything else lives in src/cli.
import { main } from '../dist/cli/main.js';
main(process);
