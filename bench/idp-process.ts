/**
 * The development IdP in a process of its own, for the benchmark. oidc-provider keeps an
 * AsyncLocalStorage, and once one is in use Node runs promise hooks for every promise of the
 * process: in the host, next to the servers under test, it would tax each of them (the more
 * promises a target makes, the more), which no production gateway pays.
 *
 *   node --import tsx bench/idp-process.ts   (clients as JSON on stdin; prints the issuer)
 */
import { startDevIdp, type DevClient } from '../src/demo/idp.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const clients = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DevClient[];
const idp = await startDevIdp({ clients });
process.stdout.write(`${JSON.stringify({ issuer: idp.issuer })}\n`);
const stop = (): void => {
  void idp.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
