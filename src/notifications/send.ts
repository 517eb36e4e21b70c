// One attempt to deliver a message (SPEC §15), over Node's fetch (undici): a webhook signed by Standard
// Webhooks 1.0, or alerts posted to an Alertmanager's /api/v2/alerts. Guarantees: an attempt ends within
// ATTEMPT_TIMEOUT_MS whatever the receiver does (hangs, trickles, resets); at most MAX_ANSWER_BYTES of
// its answer are read; credentials in the endpoint's URL go as HTTP Basic authentication and, like the
// secret, appear in no answer, log line or stored error.
import { createHmac, randomBytes } from 'node:crypto';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { ATTEMPT_TIMEOUT_MS } from '../domain/notifications.js';
import type { EndpointRecord } from '../storage/core/notifications.js';
import { printable, withoutCredentials } from '../shown.js';

/** Bytes of a receiver's answer kept (the rest is not read). */
const MAX_ANSWER_BYTES = 4_096;
/** Characters of an answer kept with the delivery. */
const ANSWER_SHOWN = 200;

/** A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The `webhook-signature` of a message: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` keyed with the secret's bytes. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** An endpoint's URL without credentials, and its Basic authorization header when it had some. */
export function splitCredentials(raw: string): { url: string; authorization: string | null } {
  const u = new URL(raw);
  const url = withoutCredentials(raw).toString();
  if (u.username === '' && u.password === '') return { url, authorization: null };
  return { url, authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` };
}

/** The URL as shown: without credentials. */
export function shownUrl(raw: string): string {
  try {
    return withoutCredentials(raw).toString();
  } catch {
    return '(not a URL)';
  }
}

/** How an attempt ended: the HTTP status (0: none) and a short, credential-free account of it. */
export interface AttemptResult {
  status: number;
  answer: string;
}

/** Reads at most MAX_ANSWER_BYTES of a response body, then lets the rest go. */
async function answerText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = (res.body as unknown as WebStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const step = await reader.read();
      if (step.done) break;
      const value = step.value;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  // Shown as text: valid UTF-8 only (a lone byte becomes U+FFFD), control characters out.
  return printable(Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8')).replace(/ {2,}/g, ' ').trim();
}

/** Posts one message to an endpoint; never throws. */
export async function attempt(endpoint: EndpointRecord, message: { id: string; body: string }, nowMs: number, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptResult> {
  let target: ReturnType<typeof splitCredentials>;
  try {
    target = splitCredentials(endpoint.url);
  } catch {
    return { status: 0, answer: 'the endpoint URL does not parse' };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'argus-master' };
  if (target.authorization) headers.authorization = target.authorization;
  let url = target.url;
  if (endpoint.kind === 'webhook') {
    const ts = Math.floor(nowMs / 1000);
    headers['webhook-id'] = message.id;
    headers['webhook-timestamp'] = String(ts);
    headers['webhook-signature'] = sign(endpoint.secret, message.id, ts, message.body);
  } else {
    url = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { method: 'POST', headers, body: message.body, signal: controller.signal, redirect: 'manual' });
    const text = await answerText(res);
    return { status: res.status, answer: `${res.status}${text === '' ? '' : ` ${text.slice(0, ANSWER_SHOWN)}`}` };
  } catch (err) {
    if (controller.signal.aborted) return { status: 0, answer: `no answer within ${timeoutMs / 1000} s` };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, answer: `request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`.replace(target.authorization ?? '\u0000', '') };
  } finally {
    clearTimeout(timer);
  }
}
