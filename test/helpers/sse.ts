// A Server-Sent Events client for the end-to-end tests: opens a stream and parses its messages as they
// come, each with the time it arrived.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { strictJson, strictUtf8 } from './strict-json.js';

export interface Message { id?: number; event: string; data: any; at: number }

/** Opens an SSE stream and parses its messages as they come (each with the time it arrived). */
export function openStream(url: string, headers: Record<string, string> = {}) {
  const messages: Message[] = [];
  let response: IncomingMessage | undefined;
  const req = httpRequest(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      let buffer = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = strictUtf8(buffer.subarray(0, end));
          buffer = buffer.subarray(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const i = line.indexOf(': ');
            fields.set(line.slice(0, i), line.slice(i + 2));
          }
          if (!fields.has('data')) continue;
          messages.push({ id: fields.has('id') ? Number(fields.get('id')) : undefined, event: fields.get('event') ?? 'message', data: strictJson(Buffer.from(fields.get('data')!)), at: Date.now() });
        }
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  req.end();
  return { messages, opened, close: () => { req.destroy(); response?.destroy(); } };
}
