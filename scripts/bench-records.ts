/**
 * Record reconciliation cost (docs/records.md): two sides holding 100,000
 * records each, differing by k on each side, reconciled with Negentropy v1
 * (src/core/records/negentropy.ts, 60 KB frames). Printed beside, from the
 * same sets in the same run: sending the whole id list (the naive way) and
 * peerset.DB's positional Merkle tree (scripts/lib/positional-tree.ts, both
 * directions). The k records each side then fetches are counted apart.
 *
 *   npx tsx scripts/bench-records.ts [--records 100000]
 */
import { parseArgs } from 'node:util'
import { generateEd25519SecretKey } from '../src/core/crypto/ed25519.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { Negentropy, SortedItems, type Item } from '../src/core/records/negentropy.js'
import { signRecord, type SignedRecord } from '../src/core/records/record.js'
import { FRAME_LIMIT } from '../src/core/records/sync.js'
import { positionalSync } from './lib/positional-tree.js'

const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' } } })
const N = Number(values.records)
const KS = [0, 1, 100, 1000]
const START = 1_800_000_000

const authors = Array.from({ length: 200 }, () => ed25519Signer(generateEd25519SecretKey()))
let serial = 0
/** A record; the base set has three per second, a difference lands anywhere in that span (the worst case, not the tail). */
function record(created = START + Math.floor(serial / 3)): SignedRecord {
  const author = authors[serial % authors.length]!
  const n = serial++
  return signRecord({ kind: 'record', collection: 'bench', author: author.keyId, created, expires: 0, contentType: 'json', content: new TextEncoder().encode(JSON.stringify({ n, text: 'a note of a typical small size' })) }, author)
}

const itemOf = (r: SignedRecord): Item => ({ timestamp: r.record.created, id: r.id })

function reconcile(a: SortedItems, b: SortedItems): { roundTrips: number; bytes: number; ms: number; have: number; need: number } {
  const started = performance.now()
  const client = new Negentropy(a, FRAME_LIMIT)
  let message: Uint8Array | undefined = client.initiate()
  let roundTrips = 0
  let bytes = 0
  let have = 0
  let need = 0
  while (message) {
    // The server is stateless: a fresh side per message, as a node answers one.
    const reply = new Negentropy(b, FRAME_LIMIT).reconcile(message).message!
    roundTrips++
    bytes += message.length + reply.length
    const r = client.reconcile(reply)
    have += r.have.length
    need += r.need.length
    message = r.message
  }
  return { roundTrips, bytes, ms: performance.now() - started, have, need }
}

function kb(bytes: number): string {
  return bytes < 10_000 ? `${bytes} B` : bytes < 10_000_000 ? `${(bytes / 1000).toFixed(1)} KB` : `${(bytes / 1e6).toFixed(1)} MB`
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const base = Array.from({ length: N }, record)
  console.error(`signed ${N} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const rows: string[] = []
  for (const k of KS) {
    const anywhere = () => record(START + Math.floor(Math.random() * (N / 3)))
    const onlyA = Array.from({ length: k }, anywhere)
    const onlyB = Array.from({ length: k }, anywhere)
    const a = new SortedItems([...base, ...onlyA].map(itemOf))
    const b = new SortedItems([...base, ...onlyB].map(itemOf))
    a.all()
    b.all()
    const r = reconcile(a, b)
    if (r.have !== k || r.need !== k) throw new Error(`reconciliation found ${r.have} and ${r.need}, not ${k} and ${k}`)
    const fetched = [...onlyA, ...onlyB].reduce((n, x) => n + x.bytes.length, 0)
    // Naive: the client sends every (created, id) it holds; the server answers with both difference lists.
    const naive = (N + k) * 40 + 2 * k * 32
    const idsA = [...base, ...onlyA].map((x) => Buffer.from(x.id))
    const idsB = [...base, ...onlyB].map((x) => Buffer.from(x.id))
    const p0 = performance.now()
    const ab = positionalSync(idsA, idsB)
    const ba = positionalSync(idsB, idsA)
    const positionalMs = performance.now() - p0
    const positional = { messages: ab.messages + ba.messages, bytes: ab.bytes + ba.bytes, rounds: ab.rounds + ba.rounds }
    rows.push(
      `| ${N.toLocaleString('en')} | ${k} | ${r.roundTrips} | ${kb(r.bytes)} | ${r.ms.toFixed(0)} | ${kb(fetched)} | ${kb(naive)} | ${positional.messages.toLocaleString('en')} msgs, ${positional.rounds} rounds, ${kb(positional.bytes)} (${positionalMs.toFixed(0)} ms) | ${k === 0 ? '(equal roots)' : `${(positional.bytes / r.bytes).toFixed(0)}×`} |`,
    )
    console.error(`k = ${k}: done`)
  }
  console.log('')
  console.log(`| records per side | k new on each side | round trips | reconciliation bytes (both ways) | ms | the 2k records fetched | naive: whole id list | peerset.DB positional tree (both ways) | positional ÷ negentropy bytes |`)
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) console.log(row)
  console.log(`\nGoals: k = 1 in ≤ 2 round trips and ≤ 5 KB; k = 1,000 in ≤ 2 MB; ≥ 100× fewer bytes than the positional tree.`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
