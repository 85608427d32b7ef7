/**
 * A faithful OneTalk User/Contact API emulator, for tests, the demo and `npm run emulator`.
 *
 * It enforces the public document's contract on its own (envelope, codes, field limits, phone
 * rule, sync semantics) and mints real, verifiable, single-use HS256 tickets.
 */
import type { Server } from 'node:http';
import { createEmulatorApp } from './app.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './core.js';
import { LAUNCHER_PATH } from './standin.js';

export { createEmulatorApp } from './app.js';
export { createEmulator, DEV_API_KEY, DEV_WIDGET_KEY, MAX_LATENCY_MS } from './core.js';
export type { ApiKeyState, BodyKind, Emulator, EmulatorOptions, EmulatorSettings, RecordedRequest, VisitorRequest } from './core.js';
export { AGENT_REPLY, VISITOR_PREFIX } from './visitor.js';
export { LAUNCHER_PATH } from './standin.js';
export type { ChatMessage, VisitorSessionView, VisitorTokens } from './visitor-tokens.js';
export { ContactStore } from './contacts.js';
export type { Contact, ContactInput, SeedInput, SyncOutcome } from './contacts.js';
export type { TicketClaims, TicketRedemption, TicketVerification } from './tickets.js';
export { DOCUMENTED_ERRORS, EMULATOR_ERRORS, MAX_BODY_BYTES, VISITOR_ERRORS } from './codes.js';
export type { OneTalkEnvelope } from './codes.js';
export { ADMIN_PREFIX } from './admin.js';
export type { MaskedRequest } from './admin.js';

/** Options for {@link startEmulator}: the emulator's own plus where to listen. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. The emulator has unauthenticated admin routes: keep it on loopback. */
  host?: string;
}

/** A listening emulator, with in-process access to its state. */
export interface RunningEmulator extends Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** The stand-in widget launcher script, for a page's `<script src>`. */
  readonly launcherUrl: string;
  readonly port: number;
  readonly server: Server;
  /** Stops listening, drops keep-alive sockets and cuts pending latency waits short. */
  close(): Promise<void>;
}

/** Builds an emulator and listens on it. Rejects if the port cannot be bound. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = '127.0.0.1', ...emulatorOptions } = options;
  const emulator = createEmulator(emulatorOptions);
  const server = createEmulatorApp(emulator).listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('emulator is not listening on TCP');
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      emulator.dispose();
      server.close((error) => (error ? reject(error) : resolve()));
      // close() alone waits for idle keep-alive sockets to time out; tests must not hang on them.
      server.closeAllConnections();
    });
    return closing;
  };

  const url = `http://${urlHost}:${address.port}`;
  return Object.assign(emulator, { url, launcherUrl: `${url}${LAUNCHER_PATH}`, port: address.port, server, close });
}
