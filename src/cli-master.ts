// The master's commands of `argus-master` (cli.ts loads this module for them): with cli.ts, the only
// module that reads process.env and argv, handles signals and exits.
//   argus-master [serve]     run the master (default)
//   argus-master dns-monitor run the dns.conf watcher
//   argus-master copy-db     move a registry between SQLite and PostgreSQL
//   argus-master --version   print the version
//   argus-master --help      print usage
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { loadConfig, loadDnsMonitorConfig, resolveSecretFiles, type LogLevel } from './config.js';
import { createDnsMonitor } from './dns-monitor/monitor.js';
import { shutdownRequested } from './cluster/channel.js';
import { startPrimary, startSingle, startWorker, type Running } from './main.js';
import { StartupError } from './errors.js';

const USAGE = `Usage: argus-master [command]

Commands:
  serve         run the master (default); configured by environment variables (see docs/configuration.md)
  dns-monitor   watch DNS_CONF_PATH and run DNS_UPDATE_SCRIPT when it changes
  copy-db --from <sqlite path | postgres URL> --to <postgres URL | sqlite path>
                copy every node, event and counter into a new, empty database (masters stopped)
  --version     print the version
  --help        print this help
`;



function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function makeLogger(level: LogLevel, role: string): Logger {
  return pino({ name: 'argus-master', level, base: { pid: process.pid, role } });
}

/** Resolves on the first SIGTERM or SIGINT. */
function stopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

async function dnsMonitor(): Promise<number> {
  const result = loadDnsMonitorConfig(process.env);
  if (!result.ok) {
    for (const line of result.errors) process.stderr.write(`argus-master dns-monitor: ${line}\n`);
    return 2;
  }
  const c = result.config;
  const logger = makeLogger(c.logLevel, 'dns-monitor');
  const stopped = stopSignal(logger);
  const monitor = createDnsMonitor({
    confPath: c.confPath,
    scriptPath: c.scriptPath,
    intervalMs: c.intervalSeconds * 1000,
    scriptTimeoutMs: c.scriptTimeoutSeconds * 1000,
    logger,
  });
  logger.info({ confPath: c.confPath, script: c.scriptPath, intervalSeconds: c.intervalSeconds }, 'dns-monitor started');
  await monitor.start();
  await stopped;
  await monitor.stop();
  logger.info('stopped');
  return 0;
}

async function serve(): Promise<number> {
  const secrets = resolveSecretFiles(process.env, (path) => readFileSync(path, 'utf8'));
  const result = loadConfig(secrets.env);
  const problems = [...secrets.errors, ...(result.ok ? [] : result.errors)];
  if (!result.ok || problems.length > 0) {
    for (const line of problems) process.stderr.write(`argus-master: ${line}\n`);
    return 2;
  }
  const config = result.config;
  const role = config.workers === 1 ? 'single' : cluster.isPrimary ? 'primary' : 'worker';
  const logger = makeLogger(config.logLevel, role);

  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection; exiting');
    process.exit(1);
  });

  // Listen for stop signals before start-up, so a signal during start-up is not fatal: the master
  // finishes starting, then stops gracefully.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    if (role === 'worker') {
      // The primary coordinates shutdown; a Ctrl-C reaches the whole process group, so ignore SIGINT here.
      process.on('SIGINT', () => undefined);
      process.once('SIGTERM', () => stop('SIGTERM'));
      void shutdownRequested().then(() => stop('primary'));
      // If the primary dies (e.g. SIGKILL), the IPC channel closes: do not linger as an orphan.
      process.once('disconnect', () => stop('primary gone'));
    } else {
      void stopSignal(logger).then(resolve);
    }
  });

  let running: Running;
  try {
    if (role === 'worker') running = await startWorker(config, logger);
    else if (role === 'primary') running = await startPrimary(config, logger);
    else running = await startSingle(config, logger);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`argus-master: ${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, 'start-up failed');
    return 1;
  }

  await stopRequested;
  try {
    await running.close();
  } catch (err) {
    logger.error({ err }, 'error during shutdown');
    return 1;
  }
  logger.info('stopped');
  return 0;
}

/** Runs a master command (serve by default); its exit code. */
export async function masterMain(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve';
  switch (command) {
    case 'serve':
      return serve();
    case 'dns-monitor':
      return dnsMonitor();
    case 'copy-db': {
      const { copyDb } = await import('./copy-db.js');
      return copyDb(argv.slice(1), (line) => process.stderr.write(`${line}\n`), (text) => process.stdout.write(text));
    }
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help': {
      const { CLIENT_USAGE } = await import('./client/main.js');
      process.stdout.write(`${USAGE}\n${CLIENT_USAGE}`);
      return 0;
    }
    default:
      process.stderr.write(`argus-master: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}
