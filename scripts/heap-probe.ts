import { heapStats } from 'bun:jsc'
import { SimOrganism } from '../test/helpers/sim-organism.js'
const N = Number(process.argv[2] ?? 100000)
const organism = new SimOrganism({ seed: 1, nodes: N, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5, loss: 0 }, config: { roundsPerTick: Math.max(50, Math.ceil(N / 200)) }, maxBodyBytes: 64 * 2 ** 20 })
const sim = organism.sim
organism.add([])
for (let i = 1; i < N; i++) organism.add([sim.random.int(i)])
for (let i = 0; i < 100; i++) { sim.runFor(100); if (organism.looksConverged() && organism.violations().length === 0) break }
sim.runFor(5000)
Bun.gc(true)
const s = heapStats()
console.log('heapSize', s.heapSize, 'objectCount', s.objectCount, 'per node', (s.heapSize / N).toFixed(0), (s.objectCount / N).toFixed(1))
const rows = Object.entries(s.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 45)
for (const [k, v] of rows) console.log(k.padEnd(40), v, (v / N).toFixed(2))
