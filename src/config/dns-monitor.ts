// The dns-monitor's configuration (`argus-master dns-monitor`), from the environment; never throws.
import { envReader, type LogLevel } from './env.js';

/** The dns-monitor's configuration. */
export interface DnsMonitorConfig {
  confPath: string;
  scriptPath: string;
  intervalSeconds: number;
  scriptTimeoutSeconds: number;
  logLevel: LogLevel;
}

/** Defaults of the dns-monitor, by variable name. */
export const DNS_MONITOR_DEFAULTS = {
  DNS_CONF_PATH: '/private/argus/etc/dns.conf',
  DNS_UPDATE_SCRIPT: '/private/argus/etc/update-dns.sh',
  DNS_MONITOR_INTERVAL_SECONDS: '10',
  DNS_UPDATE_TIMEOUT_SECONDS: '60',
} as const;

/** Reads and validates the dns-monitor's configuration from `env`; never throws. */
export function loadDnsMonitorConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: DnsMonitorConfig } | { ok: false; errors: string[] } {
  const { errors, get, seconds, logLevel } = envReader(env);
  const config: DnsMonitorConfig = {
    confPath: get('DNS_CONF_PATH') ?? DNS_MONITOR_DEFAULTS.DNS_CONF_PATH,
    scriptPath: get('DNS_UPDATE_SCRIPT') ?? DNS_MONITOR_DEFAULTS.DNS_UPDATE_SCRIPT,
    intervalSeconds: seconds('DNS_MONITOR_INTERVAL_SECONDS', DNS_MONITOR_DEFAULTS.DNS_MONITOR_INTERVAL_SECONDS),
    scriptTimeoutSeconds: seconds('DNS_UPDATE_TIMEOUT_SECONDS', DNS_MONITOR_DEFAULTS.DNS_UPDATE_TIMEOUT_SECONDS),
    logLevel: logLevel(),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
