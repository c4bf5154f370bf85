/** The simulated organism lives in test/helpers/sim-organism.ts (scripts/sim-tree.ts uses it too); tests import it from here. */
import { SimOrganism, type SimMember } from './sim-organism.js'

export { SimOrganism, joinStorm, deliveryProblems, type SimOrganismOptions, type SimMember } from './sim-organism.js'

/** `n` nodes joined through the first one (maxChildren 3), run until they form one valid tree; throws if they do not within 60 s. */
export function convergedOrganism(n: number, seed: number): SimOrganism {
  const o = new SimOrganism({ seed, nodes: n, maxChildren: 3 })
  o.add([])
  for (let i = 1; i < n; i++) o.add([0])
  if (!(o.runUntilConverged(60_000) < 60_000)) throw new Error(`${n} nodes did not form one tree within 60 s (seed ${seed}): ${o.violations().join('; ')}`)
  return o
}

/** The live node at `position` of the tree. */
export function atPosition(o: SimOrganism, position: number): SimMember {
  return o.live().find((n) => n.tree.view?.position === position)!
}
