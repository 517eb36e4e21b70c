// The rules a node's labels follow (SPEC §2 `PUT /nodes/{id}/config`, §12): one home, applied by the
// node use cases (nodes/commands.ts) to every change of labels, whether it came from the API, the dashboard or the command line.
// Pure.

/** Most labels a node may have. */
export const MAX_LABELS = 64;
/** Longest label, in UTF-16 code units (as JSON Schema's maxLength counts). */
export const MAX_LABEL_LENGTH = 256;

/**
 * What is wrong with a list of labels, or null when nothing is. A label is non-empty text without a
 * comma (discovery lists labels as ",a,b,": a comma would break that list for every consumer), at most
 * MAX_LABEL_LENGTH long and valid Unicode; a node has at most MAX_LABELS.
 */
export function labelProblem(labels: readonly string[]): string | null {
  if (labels.length > MAX_LABELS) return `at most ${MAX_LABELS} labels, not ${labels.length}`;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === '' || l.includes(',')) return `label/${i} must be a non-empty label without a comma`;
    if (l.length > MAX_LABEL_LENGTH) return `label/${i} is longer than ${MAX_LABEL_LENGTH} characters`;
    if (!l.isWellFormed()) return `label/${i} is not valid Unicode`;
  }
  return null;
}
