// The command line's HTTP client (SPEC §16): talks only to a master's API, never to a database. Every
// failure becomes a ClientError with its exit code: 1 the master failed or could not be reached (the URL
// is named without credentials), 2 the master refused the input (400), 3 not found, 5 refused (401/403).
// The token is sent as a bearer header and appears in no message.
import { Buffer } from 'node:buffer';
import { withoutCredentials } from '../shown.js';

/** An outcome the command line ends with: its exit code and one line for stderr. */
export class ClientError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, timeout: 4, refused: 5 } as const;

/** A URL as shown: without credentials. */
export function shown(url: string): string {
  try {
    return withoutCredentials(url).toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** The API under a master's base URL. */
export class Api {
  readonly base: string;
  constructor(url: string, private readonly token: string | null) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ClientError(EXIT.usage, `argus-master: --url must be a URL such as http://127.0.0.1:3000 (got ${JSON.stringify(url)})`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ClientError(EXIT.usage, 'argus-master: --url must be http or https');
    this.base = `${u.origin}${u.pathname.replace(/\/+$/, '')}/api/v1/master`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Sends a request; answers the response of a 2xx, throws a ClientError otherwise. */
  async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method, signal, redirect: 'manual',
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new ClientError(EXIT.failed, `argus-master: cannot reach the master at ${shown(this.base)}: ${cause}`);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      // not JSON: the text as is
    }
    const code = res.status === 400 ? EXIT.usage : res.status === 404 ? EXIT.notFound : res.status === 401 || res.status === 403 ? EXIT.refused : EXIT.failed;
    throw new ClientError(code, `argus-master: ${method} ${path.split('?')[0]}: ${res.status} ${message}`);
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    return (res.status === 204 ? null : await res.json()) as T;
  }

  /** Each page of a list, following its `Link: rel="next"` to the end (or until `max` items). */
  async *pages<T>(path: string, max = Number.POSITIVE_INFINITY): AsyncGenerator<T[]> {
    let next: string | null = path;
    let seen = 0;
    for (let i = 0; next !== null && seen < max && i < 1_000_000; i++) {
      const res = await this.send('GET', next);
      const all = (await res.json()) as T[];
      const items = seen + all.length > max ? all.slice(0, max - seen) : all;
      seen += items.length;
      yield items;
      const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
      next = link ? new URL(link[1]!, this.base).toString() : null;
    }
  }

  /**
   * The events of a Server-Sent Events stream, for ever: after a dropped connection it reconnects
   * (after 1 s, up to 30 s between tries) with `Last-Event-ID`, so nothing is missed or repeated.
   */
  async *stream(path: string, after: number | null, signal: AbortSignal): AsyncGenerator<{ id: number; data: string }> {
    let last = after;
    let wait = 1_000;
    while (!signal.aborted) {
      try {
        const headers = this.headers(last === null ? {} : { 'last-event-id': String(last) });
        const res = await fetch(`${this.base}${path}`, { headers, signal });
        if (res.status === 401 || res.status === 403) throw new ClientError(EXIT.refused, `argus-master: the event stream: ${res.status} refused`);
        if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
        wait = 1_000;
        for await (const event of sseEvents(res.body)) {
          last = event.id;
          yield event;
        }
      } catch (err) {
        if (err instanceof ClientError || signal.aborted) throw err;
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(30_000, wait * 2);
    }
  }
}

/** The events of an SSE body (`id:` and `data:` lines; comments and keep-alives skipped). */
async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ id: number; data: string }> {
  let buffer = '';
  let id: number | null = null;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += Buffer.from(chunk).toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (id !== null && data.length > 0) yield { id, data: data.join('\n') };
        id = null;
        data = [];
      } else if (line.startsWith('id:')) id = Number(line.slice(3).trim());
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
  }
}
