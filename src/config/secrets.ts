// Secrets given as files (`NAME_FILE`: Docker and Kubernetes secrets), read before the configuration.

/** The secrets that may also be given as a file (`NAME_FILE`, e.g. a Docker or Kubernetes secret). */
export const SECRET_VARIABLES = ['ENROLL_TOKEN', 'ADMIN_TOKEN', 'READ_TOKEN'] as const;

/**
 * Returns `env` with each `NAME_FILE` read into `NAME` (trailing newline trimmed). Setting both is an
 * error, as is an unreadable file; `readFile` is injected so this stays testable without files.
 */
export function resolveSecretFiles(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): { env: Record<string, string | undefined>; errors: string[] } {
  const out: Record<string, string | undefined> = { ...env };
  const errors: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) {
      errors.push(`invalid ${name}_FILE=${JSON.stringify(file)}: ${name} is set too; give only one`);
      continue;
    }
    try {
      out[name] = readFile(file).replace(/\r?\n$/, '');
    } catch (err) {
      errors.push(`invalid ${name}_FILE=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return { env: out, errors };
}

