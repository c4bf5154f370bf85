/**
 * Reachability by dial-back (docs/protocol.md §7.1; the shape of libp2p's
 * AutoNAT). A node asks a peer `node.dialback {port, nonce}`: "open a new
 * connection to me on this port and hand me this nonce". The peer dials the
 * address it saw the request come from — never an address the asker names,
 * so nobody can aim a node's connections at a third party — checks that the
 * node answering there holds the asker's key (its signed card, as for any
 * first contact), and delivers `node.dialback.nonce {nonce}` to it. The asker
 * counts a success only when the nonce arrives on its own listener, whatever
 * the peer's reply claims; a majority of successes among the peers asked means
 * its port is reachable from outside.
 *
 * A peer bounds what dial-backs cost it: one at a time per asking key and per
 * source address, DIALBACK_MAX_IN_PROGRESS at once, DIALBACK_MAX_PER_MINUTE in
 * all, each given DIALBACK_TIMEOUT_MS; beyond that it answers `busy`.
 */
import { BorgError } from '../errors.js'
import { bytesToHex } from '../bytes.js'
import type { Logger } from '../log.js'
import { ANYONE, type MessageRouter } from '../messaging/router.js'
import { formatEndpoint } from '../net/endpoint.js'
import type { Clock } from '../wire/clock.js'
import type { Outgoing } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import type { Peer, Transport } from '../wire/transport.js'
import { DIALBACK_NONCE_BYTES, NODE_CODECS } from './messages.js'

export const DIALBACK_MAX_IN_PROGRESS = 8
export const DIALBACK_MAX_PER_MINUTE = 30
export const DIALBACK_TIMEOUT_MS = 5_000
/** A peer asked to dial back this long ago without the nonce arriving: that peer failed. */
export const DIALBACK_WAIT_MS = DIALBACK_TIMEOUT_MS + 5_000

/**
 * Delivers one message to `peer` over a connection of its own (a fresh client with its own pins,
 * signing with this node's key: the asker accepts its nonce only from the peer it asked), verifying
 * the peer's identity first.
 */
export type DialOnce = (peer: Peer, message: Outgoing, timeoutMs: number) => Promise<void>

export interface DialbackResponderOptions {
  clock: Clock
  log: Logger
  dial: DialOnce
}

/** The peer's side: answer `node.dialback` by dialing the asker where it was seen. */
export function registerDialback(router: MessageRouter, options: DialbackResponderOptions): void {
  const busy = { keys: new Set<string>(), addresses: new Set<string>(), inProgress: 0, recent: [] as number[] }
  router.on(NODE_CODECS.dialback.kind, ANYONE, (message, responder) => {
    if (!responder) return
    const { port, nonce } = NODE_CODECS.dialback.decode(message)
    const address = message.remote?.address
    if (!address) return responder.fail('unavailable', 'this transport does not know where the request came from')
    const now = options.clock.monotonic()
    busy.recent = busy.recent.filter((t) => now - t < 60_000)
    if (busy.keys.has(message.fromHex) || busy.addresses.has(address)) return responder.fail('busy', 'a dial-back for this key or address is already in progress')
    if (busy.inProgress >= DIALBACK_MAX_IN_PROGRESS || busy.recent.length >= DIALBACK_MAX_PER_MINUTE) {
      return responder.fail('busy', `this node dials back at most ${DIALBACK_MAX_IN_PROGRESS} at once and ${DIALBACK_MAX_PER_MINUTE} a minute; ask another`)
    }
    busy.keys.add(message.fromHex)
    busy.addresses.add(address)
    busy.inProgress++
    busy.recent.push(now)
    const endpoint = formatEndpoint({ host: address, port })
    options
      .dial({ endpoint, id: message.fromHex }, NODE_CODECS.dialbackNonce.encode({ nonce }), DIALBACK_TIMEOUT_MS)
      .then(
        () => responder.reply(NODE_CODECS.dialbackReply.encode({ reached: true, address })),
        (error: unknown) => {
          const code = error instanceof BorgError ? error.code : 'unavailable'
          options.log.debug(`dial-back to ${endpoint} for ${message.fromHex.slice(0, 16)}… failed: ${(error as Error).message}`)
          responder.reply(NODE_CODECS.dialbackReply.encode({ reached: false, address, error: code }))
        },
      )
      .finally(() => {
        busy.keys.delete(message.fromHex)
        busy.addresses.delete(address)
        busy.inProgress--
      })
  })
}

export interface DialbackOutcome {
  /** The peer asked (hex node id). */
  peer: string
  /** The nonce arrived on our listener: the peer really reached us. */
  reached: boolean
  /** The peer tried (it answered the request with an outcome); one that could not be asked, or refused to, is no evidence either way. */
  tried: boolean
  /** The address the peer saw us at (from its reply), when it answered. */
  seenAs?: string
  /** Why not, when not. */
  error?: string
}

export interface ReachabilityVerdict {
  /** More than half of the peers that tried reached us; undefined when none tried. */
  reachable: boolean | undefined
  outcomes: DialbackOutcome[]
}

/**
 * The asker's side: nonces it handed out and is waiting for. `registerNonces`
 * installs the handler on the router of the port being checked; `check` asks
 * peers and counts.
 */
export class DialbackChecker {
  private readonly waiting = new Map<string, { peer: string; arrived: () => void }>()

  constructor(
    private readonly options: { transport: Transport; clock: Clock; random: Random },
  ) {}

  /** Handle `node.dialback.nonce` on the port being checked. */
  registerNonces(router: MessageRouter): void {
    router.on(NODE_CODECS.dialbackNonce.kind, ANYONE, (message, responder) => {
      const { nonce } = NODE_CODECS.dialbackNonce.decode(message)
      const entry = this.waiting.get(nonce)
      // Only the peer asked may hand the nonce back (a nonce is no secret once sent). Thrown: it is one-way.
      if (!entry || (entry.peer !== '' && entry.peer !== message.fromHex)) throw new BorgError('not-found', 'no dial-back with this nonce is expected from you')
      this.waiting.delete(nonce)
      entry.arrived()
      responder?.reply(NODE_CODECS.dialbackNonce.encode({ nonce }))
    })
  }

  /**
   * Ask each peer to dial `port` back; `reachable` when more than half of those
   * that tried delivered their nonce to us (a peer we could not reach, or that
   * refused, says nothing about us).
   */
  async check(peers: Peer[], port: number): Promise<ReachabilityVerdict> {
    const outcomes = await Promise.all(peers.map((peer) => this.askOne(peer, port)))
    const tried = outcomes.filter((o) => o.tried || o.reached)
    return { reachable: tried.length === 0 ? undefined : tried.filter((o) => o.reached).length * 2 > tried.length, outcomes }
  }

  private askOne(peer: Peer, port: number): Promise<DialbackOutcome> {
    const { transport, random } = this.options
    const nonce = bytesToHex(random.bytes(DIALBACK_NONCE_BYTES))
    const who = peer.id ?? peer.endpoint
    return new Promise((resolve) => {
      let seenAs: string | undefined
      let error: string | undefined
      let arrived = false
      let answered = false
      let tried = false
      let done = false
      // Settles once both the nonce (or its absence) and the peer's answer are known, or at the deadline.
      const finish = () => {
        if (done) return
        done = true
        timer.cancel()
        this.waiting.delete(nonce)
        resolve({ peer: who, reached: arrived, tried: tried || arrived, ...(seenAs ? { seenAs } : {}), ...(error && !arrived ? { error } : {}) })
      }
      const timer = this.options.clock.after(DIALBACK_WAIT_MS, finish)
      this.waiting.set(nonce, {
        peer: peer.id ?? '',
        arrived: () => {
          arrived = true
          if (answered) finish()
        },
      })
      transport.send(peer, NODE_CODECS.dialback.encode({ port, nonce }), {
        expectReply: true,
        timeoutMs: DIALBACK_WAIT_MS,
        onResult: (failure, reply) => {
          answered = true
          if (failure) error = failure.code
          else {
            const answer = NODE_CODECS.dialbackReply.decode(reply!)
            tried = true
            seenAs = answer.address
            if (!answer.reached) error = answer.error ?? 'unavailable'
            // The peer says it reached us: only our own listener's word counts, so wait for the nonce.
            else if (!arrived) return
          }
          finish()
        },
      })
    })
  }
}
