// Prometheus service discovery: the target groups of http_sd_config and file_sd_config, one group per
// node. Pure.
import type { PublishedNode } from './node.js';

/** One target group, as Prometheus reads it. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Replaces every character outside [a-zA-Z0-9_] by `_` (a valid Prometheus label name suffix). */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The group of one node: a target per port on its `meta_data.ip` (or its hostname when it sent no ip;
 * no group when it has neither), and labels `__meta_argus_*`: node_id, name, hostname, user, instance,
 * env, version, status, `labels` in Prometheus's `,a,b,` list convention, and `label_<name>="true"` per
 * label with the name sanitised to [a-zA-Z0-9_].
 */
export function toTargetGroup(node: PublishedNode, ports: readonly number[]): TargetGroup | null {
  const host = str(node.metaData.ip) || str(node.metaData.hostname);
  if (host === '') return null;
  const labels: Record<string, string> = {
    __meta_argus_node_id: node.id,
    __meta_argus_name: node.name,
    __meta_argus_hostname: str(node.metaData.hostname),
    __meta_argus_user: str(node.metaData.user),
    __meta_argus_instance: str(node.metaData.instance),
    __meta_argus_env: str(node.metaData.env),
    __meta_argus_version: node.version,
    __meta_argus_status: node.status,
    __meta_argus_labels: `,${node.label.join(',')},`,
  };
  for (const label of node.label) labels[`__meta_argus_label_${sanitizeLabelName(label)}`] = 'true';
  return { targets: ports.map((p) => hostPort(host, p)), labels };
}

/**
 * The groups of the given nodes (already filtered and ordered by ID number). The store renders the same
 * document in SQL (http_sd and file_sd); its contract suite holds it equal to this.
 */
export function toTargetGroups(nodes: readonly PublishedNode[], ports: readonly number[]): TargetGroup[] {
  return nodes.map((n) => toTargetGroup(n, ports)).filter((g): g is TargetGroup => g !== null);
}
