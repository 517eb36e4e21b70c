// Shared test fixtures: temporary directories, a silent logger, and a registration body.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';

/** A logger that prints nothing (set TEST_LOG=debug to see logs). */
export const silentLogger: Logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'argus-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid registration body as an agent sends it (SPEC §2). */
export function registrationBody(name = 'dev-user-inst-pod-0', overrides: Record<string, unknown> = {}) {
  return {
    name,
    type: 'agent',
    version: '1.1.0',
    meta_data: {
      hostname: name,
      ip: '10.0.0.10',
      env: 'dev',
      user: 'testuser',
      instance: 'testinst',
      cpu_number: 4,
      memory_in_bytes: 2147483648,
      gpu_number: 0,
    },
    ...overrides,
  };
}

/** Every node's summary, by ID number, as GET /nodes answers (the store's list document, parsed). */
export async function summaries(store: { listDocument(): Promise<Buffer> }): Promise<Array<{ id: string; name: string; status: 'initialized' | 'online' | 'offline'; type: string; version: string }>> {
  return JSON.parse((await store.listDocument()).toString('utf8'));
}
