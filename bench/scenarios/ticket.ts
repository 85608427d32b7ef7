/**
 * Scenario 4, ticket minting: `POST /api/livechat/ticket` through the gateway against the
 * OneTalk emulator, beside the same upstream call without the gateway:
 * - proxy: a bare Express route forwarding to the emulator with `fetch` over kept-alive
 *   connections (what a developer would write by hand, with no session, CSRF, mapping,
 *   retries, breaker, logging or metrics);
 * - upstream: autocannon straight at the emulator with the API-Key, the floor under both.
 * All three send the emulator the very same JSON body: the one the gateway sent for alice.
 */
import express from 'express';
import { startEmulator } from '../../src/emulator/index.js';
import { bind } from '../listen.js';
import { prepareGateway } from './gateway.js';
import { stopAll, type LoadScenario } from './scenario.js';

const API_KEY = 'bench-onetalk-api-key-0123456789';
const TICKET_LIFETIME_MS = 60 * 60 * 1000;

async function expectOk(what: string, res: Response): Promise<string> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

export const ticket: LoadScenario = {
  id: 'ticket',
  number: 4,
  title: 'Ticket minting: POST /api/livechat/ticket',
  async prepare() {
    const prepared = await prepareGateway('bench-ticket');
    return {
      clients: [prepared.client],
      async start({ idp }) {
        const stops: Array<() => Promise<void>> = [];
        try {
          const emulator = await startEmulator({ apiKey: API_KEY });
          stops.push(() => emulator.close());
          const gw = await prepared.start(idp, { ONETALK_BASE_URL: emulator.url, ONETALK_API_KEY: API_KEY });
          stops.push(() => gw.close());
          const gatewayHeaders = { cookie: gw.cookie, 'x-csrf': '1' };
          const gatewayUrl = `${gw.url}/api/livechat/ticket`;
          await expectOk('gateway ticket route', await fetch(gatewayUrl, { method: 'POST', headers: gatewayHeaders }));
          const sent = emulator.requests.at(-1);
          if (sent?.bodyKind !== 'json') throw new Error('the emulator did not record the gateway’s JSON body');
          const upstreamBody = JSON.stringify(sent.body);
          const upstreamUrl = `${emulator.url}${gw.config.onetalk.paths.requestAuthTicket}`;
          // The emulator records every call for tests; under load that log would only grow.
          const trim = setInterval(() => emulator.requests.splice(0), 1000).unref();
          stops.push(async () => clearInterval(trim));

          const proxy = await bind();
          stops.push(() => proxy.close());
          const app = express();
          // fetch (undici) keeps its connections to the emulator alive between calls by default.
          app.post('/ticket', async (_req, res) => {
            const upstream = await fetch(upstreamUrl, {
              method: 'POST',
              headers: { 'API-Key': API_KEY, 'Content-Type': 'application/json' },
              body: upstreamBody,
            });
            const { data } = (await upstream.json()) as { data: { ticket: string } };
            res.setHeader('Cache-Control', 'no-store');
            res.json({ ticket: data.ticket, expiresAt: new Date(Date.now() + TICKET_LIFETIME_MS).toISOString() });
          });
          proxy.serve(app);
          await expectOk('bare fetch proxy', await fetch(`${proxy.url}/ticket`, { method: 'POST' }));

          const upstreamHeaders = { 'api-key': API_KEY, 'content-type': 'application/json' };
          await expectOk('emulator', await fetch(upstreamUrl, { method: 'POST', headers: upstreamHeaders, body: upstreamBody }));

          return {
            targets: [
              { id: 'ticket-gateway', scenario: 4, label: 'gateway → emulator', url: gatewayUrl, method: 'POST', headers: gatewayHeaders, expectStatus: 200 },
              { id: 'ticket-proxy', scenario: 4, label: 'bare keep-alive fetch proxy → emulator', url: `${proxy.url}/ticket`, method: 'POST', headers: {}, expectStatus: 200 },
              { id: 'ticket-upstream', scenario: 4, label: 'emulator alone (API-Key)', url: upstreamUrl, method: 'POST', headers: upstreamHeaders, body: upstreamBody, expectStatus: 200 },
            ],
            notes: [],
            stop: () => stopAll(stops),
          };
        } catch (err) {
          await stopAll(stops).catch(() => {});
          throw err;
        }
      },
    };
  },
};
