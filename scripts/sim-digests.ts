/**
 * A fixed battery of tree scenarios on the deterministic simulator, printing
 * each one's event digest and a few figures:
 *
 *   npx tsx scripts/sim-digests.ts [--seeds 1,2,3,4] [--nodes 400]
 *
 * A refactor that must not change behaviour (the split of the tree node into
 * role modules, say) is checked by running this before and after: every line
 * must be identical. Scenarios: join storm, broadcasts, routed messages, 10 %
 * crashes with the root, graceful leaves (root included), a partition into
 * halves and its heal, and all of it again on a lossy, duplicating network.
 */
import { parseArgs } from 'node:util'
import { scenario } from './lib/tree-battery.js'

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4' },
    nodes: { type: 'string', default: '400' },
  },
})
const seeds = args.seeds!.split(',').map(Number)
const N = Number(args.nodes)

for (const seed of seeds) {
  for (const lossy of [false, true]) console.log(JSON.stringify(scenario(seed, lossy, N)))
}
