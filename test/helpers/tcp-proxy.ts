// A TCP proxy on loopback that can cut the line like a network partition: while cut, the connections
// stay open but no byte passes either way, and new connections are accepted and left hanging (as when
// packets are dropped, not refused), so only the master's own timeouts can end its waits.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port to connect to instead of the target's. */
  port: number;
  /** Stops every byte from passing, on open and new connections. */
  cut(): void;
  /** Lets bytes pass again: the connections held during the cut are dropped (their peers saw nothing for long). */
  heal(): void;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<new port> to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let cut = false;
  const pairs = new Set<[Socket, Socket | null]>();
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    const pair: [Socket, Socket | null] = [client, null];
    pairs.add(pair);
    client.on('close', () => {
      pair[1]?.destroy();
      pairs.delete(pair);
    });
    if (cut) {
      client.pause(); // held: it reads nothing, sends nothing
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    pair[1] = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (d) => {
      if (!cut) client.write(d);
    });
    client.on('data', (d) => {
      if (!cut) upstream.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    cut() {
      cut = true;
    },
    heal() {
      cut = false;
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client, upstream] of pairs) {
          client.destroy();
          upstream?.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
