// How text from elsewhere is shown (answers, tables, stored errors): a URL without its credentials, and
// text without control characters (a receiver's answer or a node's name could move a terminal's cursor).
// Shared by notifications (send.ts) and the command line (client/); copy-db masks its URLs its own way.

/** The URL without user name and password; throws when it does not parse. */
export function withoutCredentials(raw: string): URL {
  const u = new URL(raw);
  u.username = '';
  u.password = '';
  return u;
}

/** Control characters (U+0000–U+001F, U+007F) as spaces. */
export const printable = (text: string): string => [...text].map((c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? ' ' : c)).join('');
