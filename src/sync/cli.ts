#!/usr/bin/env node
/**
 * Entry of the bulk contact sync: `npm run sync-contacts -- FILE …`, or the `onetalk-sync-contacts`
 * bin after `npm run build`. Everything else lives in ./main.ts; this file only owns the process.
 */
import { main } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, handleSignals: true });
} catch (error) {
  // A defect, not a row or upstream problem: those end in a summary and a status.
  console.error('sync-contacts: unexpected failure:', error);
  process.exitCode = 70;
}
