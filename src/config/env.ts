// Reading variables from an environment map: every bad value is recorded (one line each, all at once),
// none throws. An empty variable (`FOO=` in a compose file) counts as unset.
import { DEFAULTS } from './defaults.js';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that has a default. */
export type Setting = keyof typeof DEFAULTS;

/** The reader of one environment. */
export type EnvReader = ReturnType<typeof envReader>;

/** Creates the reader of `env`; its `errors` collect every bad variable. */
export function envReader(env: Readonly<Record<string, string | undefined>>) {
  const errors: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, value: string, why: string) => {
    errors.push(`invalid ${name}=${JSON.stringify(value)}: ${why}`);
  };
  /** A positive number of seconds (fractions allowed). */
  const seconds = (name: string, fallback: string): number => {
    const raw = get(name) ?? fallback;
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n) || n <= 0) {
      bad(name, raw, 'must be a positive number of seconds (fractions allowed)');
      return Number.NaN;
    }
    return n;
  };
  const integerOf = (name: string, raw: string, min: number, max: number): number => {
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(n >= min && n <= max)) bad(name, raw, `must be an integer from ${min} to ${max}`);
    return n;
  };
  const logLevel = (): LogLevel => {
    const raw = (get('LOG_LEVEL') ?? DEFAULTS.LOG_LEVEL).toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(raw)) bad('LOG_LEVEL', raw, `must be one of ${LOG_LEVELS.join(', ')}`);
    return raw as LogLevel;
  };
  /** A setting's value, or its default. */
  const str = (name: Setting) => get(name) ?? DEFAULTS[name];
  return {
    errors, get, bad, seconds, integerOf, logLevel, str,
    /** A setting's seconds, or its default's. */
    secondsOf: (name: Setting) => seconds(name, DEFAULTS[name]),
    integer: (name: Setting, min: number, max: number) => integerOf(name, str(name), min, max),
    /** The variable in use of a setting that also has the original's name: `name` wins when both are set. */
    aliased: (name: string, originalName: string) => (get(name) === undefined && get(originalName) !== undefined ? originalName : name),
  };
}
