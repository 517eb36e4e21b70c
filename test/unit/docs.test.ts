// The documentation keeps every setting and every endpoint: the README is an entrance, docs/ holds the
// reference pages, and nothing the master reads or serves goes without a line there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { loadDnsMonitorConfig } from '../../src/config/dns-monitor.js';
import { SECRET_VARIABLES } from '../../src/config/secrets.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';

const doc = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

/** The names `read` looks up in an environment that starts as `base`. */
function namesRead(read: (env: Record<string, string | undefined>) => unknown, base: Record<string, string> = {}): Set<string> {
  const seen = new Set<string>();
  const env = new Proxy(base, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return target[key as string];
    },
  });
  read(env);
  return seen;
}

let m: TestMaster | undefined;
afterEach(async () => { await m?.close(); m = undefined; });

describe('documentation', () => {
  it('docs/configuration.md has a table row for every variable the master and the dns-monitor read', () => {
    const page = doc('docs/configuration.md');
    const names = new Set<string>();
    // Some settings are read only in a mode: token auth, PostgreSQL.
    for (const base of [{}, { AUTH_MODE: 'token' }, { DATABASE_URL: 'postgres://u@127.0.0.1/db' }] as Array<Record<string, string>>) {
      for (const n of namesRead((env) => loadConfig(env), base)) names.add(n);
    }
    for (const n of namesRead((env) => loadDnsMonitorConfig(env))) names.add(n);
    for (const n of SECRET_VARIABLES) names.add(`${n}_FILE`);
    assert.ok(names.size > 30, `${names.size} names read`);
    const rows = page.split('\n').filter((line) => line.startsWith('| '));
    const missing = [...names].filter((n) => !rows.some((row) => row.includes(`\`${n}\``)));
    assert.deepEqual(missing, [], 'settings without a row');
  });

  it('docs/api.md names every method and path of the OpenAPI document, each with a curl example', async () => {
    m = await makeTestMaster({ tokens: { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: null } });
    const openapi = JSON.parse((await m.app.inject({ method: 'GET', url: '/api/v1/master/openapi.json' })).body) as { paths: Record<string, Record<string, unknown>> };
    const page = doc('docs/api.md');
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(openapi.paths)) {
      const short = path.replace(/^\/api\/v1\/master/, '');
      const escaped = short.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{id\}/g, '(?:[A-Z]+[0-9]+|msg_[A-Za-z0-9_]+)');
      const curl = new RegExp(`curl [^\\n]*${short === path ? '' : '\\$B'}${escaped}(?![a-z/])`);
      for (const method of Object.keys(methods)) {
        const named = page.includes(`${method.toUpperCase()} ${short}`);
        const curled = curl.test(page);
        if (!named || !curled) missing.push(`${method.toUpperCase()} ${path}${named ? '' : ' (not named)'}${curled ? '' : ' (no curl)'}`);
      }
    }
    assert.ok(Object.keys(openapi.paths).length > 15);
    assert.deepEqual(missing, [], 'endpoints without a line and an example');
  });

  it('README.md is an entrance of at most 300 lines whose links to docs/ all lead to a page', () => {
    const readme = doc('README.md');
    assert.ok(readme.split('\n').length <= 300, `${readme.split('\n').length} lines`);
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)(#[^)]*)?\)/g)].map((x) => x[1]!);
    for (const page of ['docs/api.md', 'docs/configuration.md', 'docs/operations.md', 'docs/several-masters.md', 'docs/dashboard.md', 'docs/PERFORMANCE.md', 'docs/layout.md']) {
      assert.ok(links.includes(page), `README links ${page}`);
    }
    for (const page of links) assert.doesNotThrow(() => doc(page), page);
  });
});
