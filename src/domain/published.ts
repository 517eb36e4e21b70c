// What the published documents (nodes.json, Prometheus discovery) show of a node, and whether a change
// alters it: they list the online nodes only, each by its entry (nodes-file-entry.ts) and target group
// (prometheus-sd.ts). Pure.
import type { PublishedNode } from './node.js';
import { toNodesFileEntry } from './nodes-file-entry.js';
import { toTargetGroup } from './prometheus-sd.js';
import type { NodeStatus } from './status.js';

/** Whether a node of this status is in the published documents. */
export const isPublished = (status: NodeStatus) => status === 'online';

/** Whether what the published documents show changed between two versions of a node. */
export function publishedViewChanged(before: PublishedNode, after: PublishedNode): boolean {
  if (!isPublished(before.status) && !isPublished(after.status)) return false;
  if (before.status !== after.status) return true;
  const view = (n: PublishedNode) => JSON.stringify([toNodesFileEntry(n), toTargetGroup(n, [1])]);
  return view(before) !== view(after);
}
