// The benchmark's options (command line) and the small helpers every part shares.
import { join } from 'node:path';
import { pino } from 'pino';

export const args = process.argv.slice(2);
export const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
export const parts = opt('only', 'throughput,scale,soak,history,dashboard,ha,latency,million,selectors,notify,availability').split(',');
export const historyNodes = Number(opt('history-nodes', '100000'));
export const historyEvents = Number(opt('history-events', '1000000'));
export const dashboardNodes = Number(opt('dashboard-nodes', '100000'));
export const haNodes = Number(opt('ha-nodes', '100000'));
export const haLoadNodes = Number(opt('ha-load-nodes', '10000'));
export const latencyNodes = Number(opt('latency-nodes', '100000'));
export const selectorNodes = Number(opt('selector-nodes', '100000'));
export const notifyNodes = Number(opt('notify-nodes', '10000'));
export const availabilityNodes = Number(opt('availability-nodes', '100000'));
/** Part side: webhook endpoints configured on this build (to a loopback receiver) while it is measured. */
export const sideEndpoints = Number(opt('endpoints', '0'));
export const latencySeconds = Number(opt('latency-seconds', '60'));
export const millionNodes = Number(opt('million-nodes', '1000000'));
export const flapHours = Number(opt('flap-hours', '24'));
/** Which halves of the million part run: sqlite, postgres, flapping. */
export const millionHalves = opt('million-halves', 'sqlite,postgres,flapping').split(',');
export const rounds = Number(opt('rounds', '3'));
export const seconds = Number(opt('seconds', '5'));
export const workers = opt('workers', '');
export const soakSeconds = Number(opt('soak-seconds', '300'));
export const scaleSizes = opt('scale-sizes', '10000,100000').split(',').map(Number);
export const flaskStyle = opt('flask', 'wal');
/** A built checkout of another version (its dist/cli.js), measured beside ours in the throughput and side parts. */
export const baseline = opt('baseline', '');
export const FLEET = 1000;
export const silent = pino({ level: 'silent' });
export const lua = (name: string) => join(import.meta.dirname, '..', 'lua', name);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};
export const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Env of a benchmarked master: the production defaults (request log and log level included). */
export function masterEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ONLINE_THRESHOLD_SECONDS: '120',
    OFFLINE_THRESHOLD_SECONDS: '180',
    SCHEDULER_INTERVAL_SECONDS: '30',
    ...(workers ? { MASTER_WORKERS: workers } : { MASTER_WORKERS: '' }),
    ...extra,
  };
}
