/**
 * A minimal Express app around `createSessions`, for tests of the session layer itself: sign in,
 * sign out, and a read that reports who the request is.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { createSessions, type Sessions, type SessionsOptions } from '../../src/session/index.js';

export interface SessionApp {
  http: ReturnType<typeof request>;
  sessions: Sessions;
  server: Server;
}

/** Starts the app on 127.0.0.1:0; `trustProxy` makes X-Forwarded-Proto count (as TRUST_PROXY=1). */
export async function startSessionApp(options: SessionsOptions & { trustProxy?: boolean }): Promise<SessionApp> {
  const sessions = createSessions(options);
  const app = express();
  if (options.trustProxy) app.set('trust proxy', 1);
  app.post('/login', async (req, res) => {
    const sub = typeof req.query.sub === 'string' ? req.query.sub : 'alice';
    const refused = await sessions.signIn(req, res, { claims: { sub, email: `${sub}@example.com` }, sid: `idp-${sub}` }, { issuedAt: 1 });
    res.json({ refused: refused ?? null });
  });
  app.post('/logout', async (req, res) => {
    await sessions.signOut(req, res);
    res.sendStatus(204);
  });
  app.get('/me', async (req, res) => {
    const session = await sessions.read(req, res);
    res.json({ sub: session?.record.user.claims.sub ?? null, createdAt: session?.record.createdAt ?? null });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { http: request(server), sessions, server };
}

/** Parsed `Set-Cookie`: name, value and attributes (lower-cased names). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attrs] = header.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attr of attrs) {
    const at = attr.indexOf('=');
    attributes.set((at < 0 ? attr : attr.slice(0, at)).toLowerCase(), at < 0 ? '' : attr.slice(at + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

export function setCookies(res: Response): SetCookie[] {
  return (res.get('Set-Cookie') ?? []).map(parseSetCookie);
}

/** The one session cookie a response sets, as a `Cookie` request header value. */
export function cookieOf(res: Response): string {
  const [cookie] = setCookies(res);
  if (!cookie) throw new Error(`no Set-Cookie on ${res.status} response`);
  return `${cookie.name}=${cookie.value}`;
}
