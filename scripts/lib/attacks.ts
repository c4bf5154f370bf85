/**
 * The attacks of `npm run bench:attacks`, each against one node's shard cell
 * receptor on 127.0.0.1 (a port every node opens to anyone), each with its
 * own attacker identities. An attack returns what the attacker saw: answers
 * by code and how many of its connections the node still holds open.
 */
import { randomBytes } from 'node:crypto'
import { concatBytes } from '../../src/core/bytes.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { ed25519Signer } from '../../src/core/identity/signer.js'
import { sealToBytes } from '../../src/core/envelope/seal.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { jsonMessage } from '../../test/helpers/json-messages.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { request } from '../../src/core/messaging/requests.js'
import { RawConnection, announce, postHead, type RawAnswer } from './raw-wire.js'

const MiB = 1024 * 1024
const HOST = '127.0.0.1'
/** Registered on every cell's net and receptor ports, open to anyone: its header passes admission. */
const OPEN_KIND = 'node.directory'

export interface AttackOutcome {
  /** Answers the attacker got, by status/code ("204", "busy", "timeout" …). */
  answers: Record<string, number>
  /** Attacker connections the node still held open when the attack ended. */
  stillOpen?: number
  connections?: number
  /** Anything else worth a column (the honest sender's fate, …). */
  notes: string[]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const newAttacker = () => ed25519Signer(generateEd25519SecretKey())

function tally(outcome: AttackOutcome, answer: RawAnswer | undefined): void {
  const key = answer === undefined ? 'closed without answer' : answer.code ?? String(answer.status)
  outcome.answers[key] = (outcome.answers[key] ?? 0) + 1
}

/** Open `count` TLS connections, `parallel` handshakes at a time. */
async function connectMany(port: number, count: number, parallel = 50): Promise<RawConnection[]> {
  const conns: RawConnection[] = []
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(parallel, count - i) }, () => RawConnection.connect(HOST, port)))
    for (const r of batch) if (r.status === 'fulfilled') conns.push(r.value)
  }
  return conns
}

/**
 * (a) Connections that each announce a 64 MiB body, send most of it at full
 * speed, then trickle the rest: what the node holds while they linger.
 */
export async function bigTrickles(port: number, o = { connections: 12, bodyBytes: 64 * MiB, prefillBytes: 63 * MiB, trickleBytesPerSecond: 1024, holdMs: 30_000 }): Promise<AttackOutcome> {
  const outcome: AttackOutcome = { answers: {}, connections: o.connections, notes: [] }
  const signer = newAttacker()
  const conns = await connectMany(port, o.connections)
  const piece = new Uint8Array(MiB)
  const answered = conns.map((c) => c.answer().then((a) => tally(outcome, a)))
  const end = Date.now() + o.holdMs
  await Promise.all(
    conns.map(async (c) => {
      const header = announce(signer, { kind: OPEN_KIND, bodyLength: o.bodyBytes, timestamp: Date.now() })
      await c.write(concatBytes(postHead(header.length + o.bodyBytes), header))
      for (let sent = 0; sent < o.prefillBytes && c.isOpen; sent += piece.length) await c.write(piece.subarray(0, Math.min(piece.length, o.prefillBytes - sent)))
      const trickle = new Uint8Array(o.trickleBytesPerSecond)
      let left = o.bodyBytes - o.prefillBytes - 1 // never the last byte: the body must not complete
      while (Date.now() < end && c.isOpen && left > 0) {
        await c.write(trickle.subarray(0, Math.min(trickle.length, left)))
        left -= trickle.length
        await sleep(1000)
      }
    }),
  )
  outcome.stillOpen = conns.filter((c) => c.isOpen).length
  for (const c of conns) c.destroy()
  await Promise.all(answered)
  return outcome
}

/** (b) Many connections that announce a body and send one byte every few seconds. */
export async function slowBodies(port: number, o = { connections: 300, bodyBytes: MiB, byteEveryMs: 5_000, holdMs: 65_000, checkAtMs: 60_000 }): Promise<AttackOutcome> {
  const outcome: AttackOutcome = { answers: {}, connections: o.connections, notes: [] }
  const signer = newAttacker()
  const started = Date.now()
  const conns = await connectMany(port, o.connections)
  const answered = conns.map((c) => c.answer().then((a) => tally(outcome, a)))
  for (const c of conns) {
    const header = announce(signer, { kind: OPEN_KIND, bodyLength: o.bodyBytes, timestamp: Date.now() })
    void c.write(concatBytes(postHead(header.length + o.bodyBytes), header))
  }
  const one = new Uint8Array(1)
  const ticker = setInterval(() => {
    for (const c of conns) if (c.isOpen) void c.write(one)
  }, o.byteEveryMs)
  await sleep(Math.max(0, started + o.checkAtMs - Date.now()))
  outcome.stillOpen = conns.filter((c) => c.isOpen).length
  outcome.notes.push(`${outcome.stillOpen} of ${conns.length} open after ${o.checkAtMs / 1000} s`)
  await sleep(Math.max(0, started + o.holdMs - Date.now()))
  clearInterval(ticker)
  for (const c of conns) c.destroy()
  await Promise.all(answered)
  return outcome
}

/**
 * (c) Connections that finish the TLS handshake and then say nothing. Node's
 * HTTP server closes a connection that sends no request headers within its
 * headersTimeout (20 s), checked every 30 s: so all are counted at 15 s, and
 * again at 60 s.
 */
export async function idleConnections(port: number, o = { connections: 3_000, firstCheckMs: 15_000, holdMs: 60_000 }): Promise<AttackOutcome> {
  const conns = await connectMany(port, o.connections)
  const connected = Date.now()
  const outcome: AttackOutcome = { answers: {}, connections: conns.length, notes: [] }
  if (conns.length < o.connections) outcome.notes.push(`only ${conns.length} of ${o.connections} connected`)
  await sleep(o.firstCheckMs)
  outcome.notes.push(`${conns.filter((c) => c.isOpen).length} open ${o.firstCheckMs / 1000} s after the last connected`)
  await sleep(Math.max(0, connected + o.holdMs - Date.now()))
  outcome.stillOpen = conns.filter((c) => c.isOpen).length
  outcome.notes.push(`${outcome.stillOpen} open after ${o.holdMs / 1000} s`)
  for (const c of conns) c.destroy()
  return outcome
}

/** (d) stream.offer requests claiming 2^40 bytes each, pulling from an endpoint where nothing listens. */
export async function hugeStreamOffers(port: number, o = { offers: 10, size: 2 ** 40, chunkSize: 64 * MiB, holdMs: 30_000 }): Promise<AttackOutcome> {
  const outcome: AttackOutcome = { answers: {}, notes: [] }
  const transport = new HttpsTransport({ signer: newAttacker(), log: silentLogger, timeoutMs: 60_000 })
  const hex = () => randomBytes(32).toString('hex')
  try {
    await Promise.all(
      Array.from({ length: o.offers }, async () => {
        const chunks = Array.from({ length: Math.ceil(o.size / o.chunkSize) }, hex)
        const offer = { streamId: hex(), size: o.size, chunkSize: o.chunkSize, chunks, endpoint: `${HOST}:1` }
        try {
          await request(transport, { endpoint: `${HOST}:${port}` }, jsonMessage('stream.offer', offer), 60_000)
          outcome.answers.accepted = (outcome.answers.accepted ?? 0) + 1
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'error'
          outcome.answers[code] = (outcome.answers[code] ?? 0) + 1
        }
      }),
    )
    await sleep(o.holdMs)
  } finally {
    await transport.close()
  }
  return outcome
}

/**
 * (e) One hostile sender floods fresh, valid one-way messages, more than the
 * node's replay cache holds, while two honest senders ping the same port every
 * 200 ms: one on time, one whose clock is 25 s behind (inside the ±30 s
 * window, so the node must accept it). The flood is signed before it starts,
 * every message stamped T = flood start + 29.5 s (as far ahead as the window
 * allows), so the node spends its time accepting rather than the attacker
 * signing: under one shared floor, once the cache overflows, the floor jumps
 * to T and refuses everyone's messages stamped before it.
 */
export async function replayFlood(
  port: number,
  o = { connections: 8, pipeline: 4, messages: 230_000, aheadMs: 29_500, behindMs: 25_000, afterMs: 10_000 },
): Promise<AttackOutcome> {
  const outcome: AttackOutcome = { answers: {}, notes: [] }
  const hostile = newAttacker()
  const signStart = Date.now()
  // Signing takes a while; stamp for when the flood will start (at the latest 40 s from now).
  const startAt = signStart + 40_000
  const stamp = startAt + o.aheadMs
  const flood: Uint8Array[] = []
  for (let i = 0; i < o.messages; i++) {
    const bytes = sealToBytes(hostile, { kind: OPEN_KIND }, { timestamp: stamp, random: cryptoRandom })
    flood.push(concatBytes(postHead(bytes.length), bytes))
  }
  outcome.notes.push(`${o.messages} flood messages signed in ${((Date.now() - signStart) / 1000).toFixed(0)} s`)
  await sleep(Math.max(0, startAt - Date.now()))
  const peer = { endpoint: `${HOST}:${port}` }
  const honest = { onTime: new SystemClock(), behind: new SystemClock() }
  honest.behind.setOffset(-o.behindMs)
  const counts: Record<string, number> = {}
  let stop = false
  let phase = 'during'
  const pinger = async (name: string, clock: SystemClock) => {
    const transport = new HttpsTransport({ signer: newAttacker(), clock, log: silentLogger, timeoutMs: 5_000 })
    while (!stop) {
      let result: string
      try {
        await request(transport, peer, jsonMessage('wire.ping', {}), 5_000)
        result = 'accepted'
      } catch (error) {
        result = (error as { code?: string }).code ?? 'error'
      }
      const key = `${name} ${phase}: ${result}`
      counts[key] = (counts[key] ?? 0) + 1
      await sleep(200)
    }
    await transport.close()
  }
  const pinging = [pinger('honest on time', honest.onTime), pinger(`honest ${o.behindMs / 1000} s behind`, honest.behind)]
  let next = 0
  let accepted = 0
  const validUntil = stamp + 30_000
  const flooder = async () => {
    while (next < flood.length && Date.now() < validUntil) {
      const c = await RawConnection.connect(HOST, port).catch(() => undefined)
      if (!c) {
        await sleep(100)
        continue
      }
      let inFlight = 0
      const send = () => {
        if (next >= flood.length) return
        inFlight++
        void c.write(flood[next++]!)
      }
      for (let i = 0; i < o.pipeline; i++) send()
      while (c.isOpen && inFlight > 0) {
        const answer = await c.answer()
        if (!answer) break
        inFlight--
        if (answer.status === 204) accepted++
        tally(outcome, answer)
        send()
      }
      c.destroy()
    }
  }
  const floodStart = Date.now()
  await Promise.all(Array.from({ length: o.connections }, flooder))
  const floodSeconds = (Date.now() - floodStart) / 1000
  phase = 'after'
  await sleep(o.afterMs)
  stop = true
  await Promise.all(pinging)
  outcome.notes.push(`flood: ${accepted} accepted in ${floodSeconds.toFixed(0)} s (${Math.round(accepted / floodSeconds)}/s)`)
  outcome.notes.push(Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', '))
  return outcome
}
