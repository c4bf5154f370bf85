import { it } from 'vitest'
import { SimOrganism } from './helpers/tree-sim.js'
it('dbg', () => {
  const o = new SimOrganism({ seed: 5, nodes: 3000, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5 } })
  ;(o.net as any).maxBodyBytes = Number(process.env.MAXB ?? 64 * 2 ** 20)
  o.add([])
  for (let i = 1; i < 3000; i++) o.add([o.sim.random.int(i)])
  console.log('storm', o.runUntilConverged(60_000, undefined, 500), JSON.stringify(o.sim.metrics.drops))
  const root = o.live().find((n) => n.tree.view?.position === 1)!
  o.crash(root.index)
  console.log('healed', o.runUntilConverged(60_000, undefined, 100), o.violations().slice(0, 3), JSON.stringify(o.sim.metrics.drops))
})
