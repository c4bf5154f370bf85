/** The simulated organism lives in src/core/tree/sim-organism.ts (scripts/sim-tree.ts uses it too); tests import it from here. */
export { SimOrganism, joinStorm, deliveryProblems, type SimOrganismOptions, type SimMember } from './sim-organism.js'
