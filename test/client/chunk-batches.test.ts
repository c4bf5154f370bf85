/**
 * ChunkBatches (src/client/chunk-batches.ts) against a scripted holder: how
 * chunks are grouped per holder (self-clocking, bounded by count and bytes),
 * how each chunk learns its own outcome, what happens to chunks a reply left
 * out, and that a bad part blames that chunk alone.
 */
import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { ChunkBatches } from '../../src/client/chunk-batches.js'
import { SHARD_CODECS, SHARD_KIND } from '../../src/cells/shard/messages.js'
import { BorgError } from '../../src/core/errors.js'
import { concatBytes } from '../../src/core/bytes.js'
import { NO_TARGET, type Incoming, type Outgoing } from '../../src/core/wire/message.js'
import type { Peer, SendOptions, Transport } from '../../src/core/wire/transport.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** A transport whose every request waits until the test answers it. */
class ScriptedHolder implements Transport {
  readonly localId = 'ed00'
  readonly sent: { peer: Peer; message: Outgoing; answer: (reply: Outgoing | BorgError) => void }[] = []
  send(peer: Peer, message: Outgoing, options?: SendOptions): void {
    this.sent.push({
      peer,
      message,
      answer: (reply) => {
        if (reply instanceof BorgError) return options?.onResult?.(reply)
        const body = concatBytes(reply.body ?? new Uint8Array(0), ...(reply.parts ?? []))
        const incoming: Incoming = { kind: reply.kind, from: new Uint8Array(33), fromHex: 'ed', to: NO_TARGET, id: new Uint8Array(16), timestamp: 0, body, bodyType: reply.bodyType!, expectsReply: false }
        options?.onResult?.(null, incoming)
      },
    })
  }
  onMessage(): void {}
}

const holderA: Peer = { endpoint: 'a:1', id: 'a' }
const holderB: Peer = { endpoint: 'b:1', id: 'b' }
const tick = () => new Promise((r) => setImmediate(r))
/** A chunk's outcome, caught as soon as it settles: its value, or its error's code. */
const outcome = (p: Promise<unknown>) => p.then((v) => (v instanceof Uint8Array ? 'ok' : v), (e: BorgError) => e.code)

describe('ChunkBatches', () => {
  it('sends a lone chunk at once, gathers the rest while its batches are out, and bounds each message by count and bytes', async () => {
    const holder = new ScriptedHolder()
    const batches = new ChunkBatches(holder, { timeoutMs: 1000, maxChunks: 3, maxBytes: 250, inFlight: 1 })
    const chunks = Array.from({ length: 6 }, () => randomBytes(100))
    const results = chunks.map((c) => outcome(batches.put(holderA, sha(c), c)))
    const other = randomBytes(10)
    const toB = outcome(batches.put(holderB, sha(other), other))
    await tick()
    // One batch in flight per holder: the first chunk alone to A, B's at once too.
    expect(holder.sent.map((s) => [s.peer.id, SHARD_CODECS.chunksPut.decode(asIncoming(s.message)).parts.length])).toEqual([
      ['a', 1],
      ['b', 1],
    ])
    holder.sent[0]!.answer(SHARD_CODECS.chunksPutReply.encode({ results: ['stored'], freeBytes: 1 }))
    await tick()
    // The next five wait in A's queue: at most 250 bytes go in one message (2 of 100), then 2, then 1.
    expect(SHARD_CODECS.chunksPut.decode(asIncoming(holder.sent[2]!.message)).parts.map((p) => p.hash)).toEqual([sha(chunks[1]!), sha(chunks[2]!)])
    holder.sent[2]!.answer(SHARD_CODECS.chunksPutReply.encode({ results: ['exists', 'refused'], freeBytes: 1 }))
    await tick()
    holder.sent[3]!.answer(SHARD_CODECS.chunksPutReply.encode({ results: ['stored', 'full'], freeBytes: 0 }))
    await tick()
    holder.sent[4]!.answer(new BorgError('timeout', 'no answer'))
    holder.sent[1]!.answer(SHARD_CODECS.chunksPutReply.encode({ results: ['stored'], freeBytes: 1 }))
    expect(await Promise.all([...results, toB])).toEqual(['stored', 'exists', 'refused', 'stored', 'unavailable', 'timeout', 'stored'])
    expect(batches.stats).toMatchObject({ putMessages: 5, putChunks: 7 })
  })

  it('gets chunks by name: absent ones fail alone, ones left out are asked again, a wrong length is a bad copy', async () => {
    const holder = new ScriptedHolder()
    const batches = new ChunkBatches(holder, { timeoutMs: 1000, inFlight: 1 })
    const chunks = Array.from({ length: 4 }, () => randomBytes(50))
    const first = batches.get(holderA, sha(chunks[0]!), 50)
    await tick()
    const rest = [batches.get(holderA, sha(chunks[1]!), 50), batches.get(holderA, sha(chunks[2]!), 50), batches.get(holderA, sha(chunks[3]!), 49)].map(outcome)
    holder.sent[0]!.answer(SHARD_CODECS.chunksGetReply.encode({ head: { absent: [] }, parts: [{ hash: sha(chunks[0]!), bytes: chunks[0]! }] }))
    expect(Buffer.from(await first).equals(chunks[0]!)).toBe(true)
    await tick()
    expect(SHARD_CODECS.chunksGet.decode(asIncoming(holder.sent[1]!.message)).hashes).toHaveLength(3)
    // Chunk 1 absent, chunk 2 left out for size, chunk 3 sent with a length the manifest does not say.
    holder.sent[1]!.answer(SHARD_CODECS.chunksGetReply.encode({ head: { absent: [0] }, parts: [{ hash: sha(chunks[3]!), bytes: chunks[3]! }] }))
    await tick()
    expect(SHARD_CODECS.chunksGet.decode(asIncoming(holder.sent[2]!.message)).hashes).toEqual([sha(chunks[2]!)])
    holder.sent[2]!.answer(SHARD_CODECS.chunksGetReply.encode({ head: { absent: [] }, parts: [{ hash: sha(chunks[2]!), bytes: chunks[2]! }] }))
    expect(await Promise.all(rest)).toEqual(['not-found', 'ok', 'body-hash-mismatch'])
  })

  it('a reply refused for one bad part blames that chunk and sends the others elsewhere', async () => {
    const holder = new ScriptedHolder()
    const batches = new ChunkBatches(holder, { timeoutMs: 1000, inFlight: 1 })
    const [a, b] = [randomBytes(20), randomBytes(20)]
    const lone = batches.get(holderA, sha(a), 20)
    await tick()
    const pair = [batches.get(holderA, sha(a), 20), batches.get(holderA, sha(b), 20)].map(outcome)
    holder.sent[0]!.answer(SHARD_CODECS.chunksGetReply.encode({ head: { absent: [] }, parts: [{ hash: sha(a), bytes: a }] }))
    await lone
    await tick()
    // What the HTTPS client throws when the reader refused part `b`: a bad-reply caused by the part's mismatch.
    const partError = new BorgError('body-hash-mismatch', 'part 1 does not match its hash in the index', { details: { partHash: sha(b) } })
    holder.sent[1]!.answer(new BorgError('bad-reply', 'did not carry a valid borg reply', { cause: partError }))
    expect(await Promise.all(pair)).toEqual(['unavailable', 'bad-reply'])
  })

  it('speaks the kinds the holders answer', () => {
    expect([SHARD_CODECS.chunksPut.kind, SHARD_CODECS.chunksGet.kind]).toEqual([SHARD_KIND.chunksPut, SHARD_KIND.chunksGet])
  })
})

function asIncoming(message: Outgoing) {
  return { kind: message.kind, body: concatBytes(message.body ?? new Uint8Array(0), ...(message.parts ?? [])), bodyType: message.bodyType! }
}
