// The command line's client commands (SPEC §16): `argus-master nodes|maint|events|hooks|stats|availability|wait …`,
// parsed by Node's util.parseArgs, each with its --help and an example. The master is ARGUS_URL (default
// http://127.0.0.1:3000) or --url; the token ARGUS_TOKEN, ARGUS_TOKEN_FILE or --token-file. Exit codes:
// 0 done, 1 the master failed or could not be reached, 2 usage, 3 not found (or empty with --fail-empty),
// 4 timed out, 5 refused. Every error is one line on stderr; the token appears in none.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Api, ClientError, EXIT } from './api.js';
import * as cmd from './commands.js';
import { FORMATS, type Format, type Out } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;
interface Command {
  usage: string;
  example: string;
  options: Options;
  run: (c: cmd.Ctx) => Promise<number>;
}

const COMMON: Options = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
};
const SELECTOR: Options = { selector: { type: 'string', short: 'l' } };
const FAIL_EMPTY: Options = { 'fail-empty': { type: 'boolean' } };

const COMMANDS: Record<string, Command> = {
  'nodes ls': { usage: 'nodes ls [-l <selector>] [--status <s,…>] [--limit N] [--fail-empty]', example: 'argus-master nodes ls -l "rack=7, status=offline" -o json', options: { ...SELECTOR, ...FAIL_EMPTY, status: { type: 'string' }, limit: { type: 'string' } }, run: cmd.nodesLs },
  'nodes get': { usage: 'nodes get ID', example: 'argus-master nodes get A17 -o json', options: {}, run: cmd.nodesGet },
  'nodes watch': { usage: 'nodes watch [ID…] [--type <event type>]', example: 'argus-master nodes watch A17 A18', options: { type: { type: 'string' } }, run: cmd.nodesWatch },
  'nodes rm': { usage: 'nodes rm ID', example: 'argus-master nodes rm A17', options: {}, run: cmd.nodesRm },
  'nodes label': { usage: 'nodes label ID [--add x]… [--remove y]…', example: 'argus-master nodes label A17 --add rack=7 --remove rack=6', options: { add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true } }, run: cmd.nodesLabel },
  'maint add': { usage: 'maint add (ID… | -l <selector>) --for <duration> --reason "…"', example: 'argus-master maint add -l rack=7 --for 2h --reason "re-cabling rack 7"', options: { ...SELECTOR, for: { type: 'string' }, reason: { type: 'string' } }, run: cmd.maintAdd },
  'maint ls': { usage: 'maint ls [--state scheduled|active|ended] [--fail-empty]', example: 'argus-master maint ls --state active', options: { ...FAIL_EMPTY, state: { type: 'string' } }, run: cmd.maintLs },
  'maint end': { usage: 'maint end M1', example: 'argus-master maint end M1', options: {}, run: cmd.maintEnd },
  events: { usage: 'events [--after N] [--follow] [--type t] [--node ID] [--fail-empty]', example: 'argus-master events --type node.status --follow', options: { ...FAIL_EMPTY, after: { type: 'string' }, follow: { type: 'boolean', short: 'f' }, type: { type: 'string' }, node: { type: 'string' } }, run: cmd.events },
  'hooks ls': { usage: 'hooks ls', example: 'argus-master hooks ls -o wide', options: {}, run: (c) => cmd.hooks(c, 'ls') },
  'hooks add': { usage: 'hooks add NAME URL [--kind webhook|alertmanager] [--events a,b] [-l <selector>]', example: 'argus-master hooks add ops https://hooks.example/argus --events node.status', options: { ...SELECTOR, kind: { type: 'string' }, events: { type: 'string' } }, run: (c) => cmd.hooks(c, 'add') },
  'hooks test': { usage: 'hooks test E1', example: 'argus-master hooks test E1', options: {}, run: (c) => cmd.hooks(c, 'test') },
  'hooks rm': { usage: 'hooks rm E1', example: 'argus-master hooks rm E1', options: {}, run: (c) => cmd.hooks(c, 'rm') },
  stats: { usage: 'stats [--by <field or label key>] [-l <selector>]', example: 'argus-master stats --by meta.user -l gpu', options: { ...SELECTOR, by: { type: 'string' } }, run: cmd.stats },
  availability: { usage: 'availability [--window 24h|7d|30d|90d] [-l <selector>] [--by <field or label key>]', example: 'argus-master availability --window 30d --by meta.user', options: { ...SELECTOR, window: { type: 'string' }, by: { type: 'string' } }, run: cmd.availability },
  wait: { usage: 'wait ID --for <field>=<value> [--timeout 60s]', example: 'argus-master wait A17 --for status=online --timeout 2m', options: { for: { type: 'string' }, timeout: { type: 'string' } }, run: cmd.wait },
};

/** The client commands' names (cli.ts hands these to `runClient`). */
export const CLIENT_COMMANDS = new Set(Object.keys(COMMANDS).map((k) => k.split(' ')[0]!));

export const CLIENT_USAGE = `Client commands (talk to a master's HTTP API; ARGUS_URL, ARGUS_TOKEN or ARGUS_TOKEN_FILE, or --url, --token-file):
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}
Output: -o table (default on a terminal) | wide | json | ndjson. Exit codes: 0 done, 1 the master failed or
could not be reached, 2 usage, 3 not found, 4 timed out, 5 refused. "argus-master <command> --help" for more.
`;

const helpOf = (name: string, c: Command) => `Usage: argus-master ${c.usage} [-o table|wide|json|ndjson] [--url URL] [--token-file FILE]\n\nExample:\n  ${c.example}\n`;

/** The token: --token-file, else ARGUS_TOKEN_FILE, else ARGUS_TOKEN; null when none. */
function tokenOf(env: Readonly<Record<string, string | undefined>>, file: string | undefined): string | null {
  const path = file ?? env.ARGUS_TOKEN_FILE;
  if (path) {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ClientError(EXIT.usage, `argus-master: cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  return env.ARGUS_TOKEN?.trim() || null;
}

/** Runs a client command; its exit code. `out` is stdout, `err` writes one line to stderr. */
export async function runClient(argv: string[], env: Readonly<Record<string, string | undefined>>, out: Out, err: (line: string) => void, signal: AbortSignal): Promise<number> {
  const name = COMMANDS[`${argv[0]} ${argv[1]}`] ? `${argv[0]} ${argv[1]}` : argv[0]!;
  const command = COMMANDS[name];
  if (!command) {
    const subs = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0]} `)).map((k) => k.split(' ')[1]);
    err(`argus-master: ${argv[0]} needs one of: ${subs.join(', ')} (e.g. argus-master ${argv[0]} ${subs[0]} --help)`);
    return EXIT.usage;
  }
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: argv.slice(name.split(' ').length), options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new ClientError(EXIT.usage, `argus-master ${name}: ${(e as Error).message.split('\n')[0]} (see argus-master ${name} --help)`);
    }
    const values = parsed.values as cmd.Ctx['values'];
    if (values.help === true) {
      out.write(helpOf(name, command));
      return EXIT.ok;
    }
    const format = (values.output as string | undefined) ?? (out.isTTY ? 'table' : name === 'nodes watch' || (name === 'events' && values.follow === true) ? 'ndjson' : 'table');
    if (!FORMATS.includes(format as Format)) throw new ClientError(EXIT.usage, `argus-master: -o must be one of ${FORMATS.join(', ')}`);
    const api = new Api((values.url as string | undefined) ?? env.ARGUS_URL ?? 'http://127.0.0.1:3000', tokenOf(env, values['token-file'] as string | undefined));
    return await command.run({ api, out, format: format as Format, values, positionals: parsed.positionals, signal });
  } catch (e) {
    if (e instanceof ClientError) {
      err(e.message);
      return e.exitCode;
    }
    err(`argus-master: ${(e as Error).message}`);
    return EXIT.failed;
  }
}
