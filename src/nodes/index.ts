// The node use cases of every process that answers requests: the changes (commands.ts) and the reads
// (queries.ts), over one store, with one rights table (rights.ts).
import type { NodeCommandDeps, NodeCommands } from './commands.js';
import { createNodeCommands } from './commands.js';
import type { NodeQueries } from './queries.js';
import { createNodeQueries } from './queries.js';
import type { Metrics } from '../metrics.js';

export type { ConfigUpdate, StatusReport } from './commands.js';
export type { Statistics } from './queries.js';
export type { DiscoveryDocument } from './discovery.js';

/** Everything the API, the dashboard and the command line do with nodes. */
export type Nodes = NodeCommands & NodeQueries;

/** What the use cases need. */
export type NodesDeps = NodeCommandDeps & { metrics?: NodeCommandDeps['metrics'] & Pick<Metrics, 'sdInvalidHosts'> };

/** Creates the node use cases. */
export function createNodes(deps: NodesDeps): Nodes {
  return { ...createNodeCommands(deps), ...createNodeQueries(deps) };
}
