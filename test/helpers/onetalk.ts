/** What the OneTalk client suites share. */
import { isOneTalkError, type OneTalkError, type TicketUser } from '../../src/onetalk/index.js';

/**
 * The document's request example. Its e-mail address is obfuscated in our copy of the document,
 * so a plain one stands in for it.
 */
export const EXAMPLE_USER: TicketUser = {
  customerUserID: 'company:123',
  fullName: 'John Doe',
  alias: '',
  email: 'john@example.com',
  phone: '6281234567890',
  photoURL: 'http://www.example.com/photo/john_doe.jpg',
};

/** Resolves with the OneTalkError `p` rejects with; fails the test if it settles otherwise. */
export async function failure(p: Promise<unknown>): Promise<OneTalkError> {
  try {
    await p;
  } catch (e) {
    if (isOneTalkError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
