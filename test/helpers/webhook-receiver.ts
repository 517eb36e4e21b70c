// A webhook receiver on loopback, as a user would write one: it verifies each request's Standard Webhooks
// signature with the `standardwebhooks` library (the specification's own TypeScript implementation) and
// records what it got. How it answers is up to the test: a status per request, a delay, or down (closed).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as received. */
export interface Received {
  id: string;
  timestamp: string;
  body: any;
  verified: boolean;
  atMs: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The endpoint's secret (known once the endpoint is created). */
  secret: string;
  /** The status of the n-th request (1-based); default 204. */
  status: (n: number) => number;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a receiver on 127.0.0.1 (a free port unless `port` is given). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], secret: '', status: () => 204, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void bodyOf(req).then((text) => {
      let verified = false;
      try {
        new Webhook(r.secret).verify(text, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
        verified = true;
      } catch {
        verified = false;
      }
      r.received.push({ id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), body: JSON.parse(text), verified, atMs: Date.now() });
      res.writeHead(r.status(r.received.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return r;
}

/** Every event a receiver got, from single messages and digests alike. */
export function receivedEvents(r: Receiver): Array<{ id: number; type: string; node_id?: string; to?: string }> {
  return r.received.flatMap((m) => (m.body.type === 'digest' ? m.body.data.events.map((d: any) => d.event) : m.body.type === 'test' ? [] : [m.body.data.event]));
}
