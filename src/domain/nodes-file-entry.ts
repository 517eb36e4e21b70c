// The nodes.json entry shape (SPEC §4) and the whole document's rendering.
import type { PublishedNode } from './node.js';

/** One entry of nodes.json, exactly the fields and order the metric module reads. */
export interface NodesFileEntry {
  node_id: string;
  user_id: string;
  ip: string;
  hostname: string;
  labels: string[];
}

/** What the nodes.json builder needs of an online node. */
export type OnlineNode = Pick<PublishedNode, 'id' | 'metaData' | 'label'>;

/** Maps an online node to its entry; a meta_data field that was never sent becomes "". */
export function toNodesFileEntry(node: OnlineNode): NodesFileEntry {
  const m = node.metaData;
  return {
    node_id: node.id,
    user_id: typeof m.user === 'string' ? m.user : '',
    ip: typeof m.ip === 'string' ? m.ip : '',
    hostname: typeof m.hostname === 'string' ? m.hostname : '',
    labels: node.label,
  };
}

/** Renders the document: a JSON array (entries already ordered by ID number), newline-terminated. */
export function renderNodesFile(nodes: readonly OnlineNode[]): string {
  return `${JSON.stringify(nodes.map(toNodesFileEntry), null, 2)}\n`;
}
