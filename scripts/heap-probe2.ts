import { generateHeapSnapshot } from 'bun'
import { SimOrganism } from '../test/helpers/sim-organism.js'
const N = Number(process.argv[2] ?? 20000)
const organism = new SimOrganism({ seed: 1, nodes: N, maxChildren: 10, link: { latencyMs: 10, jitterMs: 5, loss: 0 }, config: { roundsPerTick: Math.max(50, Math.ceil(N / 200)) }, maxBodyBytes: 64 * 2 ** 20 })
const sim = organism.sim
organism.add([])
for (let i = 1; i < N; i++) organism.add([sim.random.int(i)])
for (let i = 0; i < 100; i++) { sim.runFor(100); if (organism.looksConverged() && organism.violations().length === 0) break }
sim.runFor(5000)
Bun.gc(true)
const snap: any = generateHeapSnapshot()
const F = snap.nodes.length / snap.nodeClassNames.length > 0 ? 7 : 4
const nodeFields = 7
console.error(Object.keys(snap), snap.version, snap.nodes.length, snap.edges.length)
// detect stride: try 7 then 4
const stride = snap.nodes.length % 7 === 0 ? 7 : 4
const idToIdx = new Map<number, number>()
for (let i = 0; i < snap.nodes.length; i += stride) idToIdx.set(snap.nodes[i], i)
const cls = (i: number) => snap.nodeClassNames[snap.nodes[i + 2]]
const size = (i: number) => snap.nodes[i + 1]
// first incoming property edge per node
const parentOf = new Map<number, string>()
for (let e = 0; e < snap.edges.length; e += 4) {
  const from = snap.edges[e], to = snap.edges[e + 1], type = snap.edgeTypes[snap.edges[e + 2]], data = snap.edges[e + 3]
  if (parentOf.has(to)) continue
  const fi = idToIdx.get(from)!
  const name = type === 'Property' || type === 'Variable' ? snap.edgeNames[data] : type === 'Index' ? '[i]' : type
  parentOf.set(to, `${cls(fi)}.${name}`)
}
// Map storage by the Map's own owner
const parentIdOf = new Map<number, number>()
const edgeNameOf = new Map<number, string>()
for (let e = 0; e < snap.edges.length; e += 4) {
  const to = snap.edges[e + 1]
  if (parentIdOf.has(to)) continue
  parentIdOf.set(to, snap.edges[e])
  const type = snap.edgeTypes[snap.edges[e + 2]]
  edgeNameOf.set(to, type === 'Property' || type === 'Variable' ? snap.edgeNames[snap.edges[e + 3]] : type)
}
const mapAgg = new Map<string, number>()
for (let i = 0; i < snap.nodes.length; i += stride) {
  if (cls(i) !== 'Cell Butterfly') continue
  const ownerId = parentIdOf.get(snap.nodes[i])
  if (ownerId === undefined) continue
  const oi = idToIdx.get(ownerId)!
  if (cls(oi) !== 'Map') continue
  const grand = parentIdOf.get(ownerId)
  const key = `Map ${grand !== undefined ? cls(idToIdx.get(grand)!) : '?'}.${edgeNameOf.get(ownerId)}`
  mapAgg.set(key, (mapAgg.get(key) ?? 0) + size(i))
}
for (const [k, v] of [...mapAgg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log('MAPSTORE', k.padEnd(50), (v / N).toFixed(0), 'B/node')
const agg = new Map<string, [number, number]>()
for (let i = 0; i < snap.nodes.length; i += stride) {
  const key = `${cls(i)} <- ${parentOf.get(snap.nodes[i]) ?? '?'}`
  const a = agg.get(key) ?? [0, 0]; a[0]++; a[1] += size(i); agg.set(key, a)
}
const rows = [...agg].sort((a, b) => b[1][1] - a[1][1]).slice(0, 70)
for (const [k, [c, s]] of rows) console.log(k.padEnd(60), (c / N).toFixed(2), 'obj/node', (s / N).toFixed(0), 'B/node')
