/**
 * Carries messages between simulated nodes, following what the real HTTPS
 * transport does with one request/response exchange per send():
 *
 *   one-way  : the message arrives after the link latency; the sender's onResult
 *              gets null when the ack is back (a round trip later).
 *   request  : the handler gets a Responder; its reply (or failure) crosses the
 *              reverse link; the requester gets exactly one result.
 *   lost     : (either leg) the sender times out after timeoutMs.
 *   down     : the receiver is crashed, not listening, or unknown: 'unavailable'
 *              one round trip later, like a refused connection.
 *   pinning  : Peer.id differs from the node's id: 'identity-mismatch', like a
 *              failed TLS pin, and the message is not delivered.
 *
 * Loss and duplication are drawn when a message is sent; partitions and
 * crashes are checked when each leg arrives. A duplicated message arrives twice
 * with the same id: the real stack drops the second copy in its replay cache,
 * which `dedupe` mirrors (with it off, handlers see both copies).
 */
import { bytesToHex, concatBytes } from '../bytes.js'
import { openParts } from '../envelope/parts.js'
import { BorgError, type ErrorCode } from '../errors.js'
import { BodyType, NO_TARGET, type Incoming, type Outgoing } from '../wire/message.js'
import type { Peer, SendOptions } from '../wire/transport.js'
import type { EventSink } from './event-queue.js'
import { Flight } from './flight.js'
import { Lane, fate } from './link-fate.js'
import type { LinkModel, LinkOptions } from './link-model.js'
import type { DropReason, KindMetrics } from './sim-metrics.js'
import type { SimNodeRecord, SimProcess } from './sim-node.js'
import { SimResponder, type AnswerCarrier } from './sim-responder.js'
import type { SendCarrier } from './sim-transport.js'
import type { Simulator } from './simulator.js'

/** What the courier needs from the network's topology. */
export interface CourierNetwork {
  readonly dedupe: boolean
  readonly timeoutMs: number
  readonly maxBodyBytes: number
  readonly defaultLink: LinkModel
  /** Key for link fates, derived from the seed. */
  readonly fateKey: number
  nodeAt(endpoint: string): SimNodeRecord | undefined
  /** Options for the link from -> to; missing fields mean the default. */
  link(from: SimNodeRecord, to: SimNodeRecord): LinkOptions
  /** True when a partition currently separates the two nodes. */
  separated(a: SimNodeRecord, b: SimNodeRecord): boolean
}

// Event codes.
const ARRIVE = 0 // a: Flight, b: copy
const ACK = 1 // a: Flight
const ERROR = 2 // a: Flight, b: BorgError
const REPLY = 3 // a: Flight, b: reply Incoming
const TIMEOUT = 4 // a: Flight

const EMPTY = new Uint8Array(0)

export class Courier implements EventSink, SendCarrier, AnswerCarrier {
  constructor(
    private readonly sim: Simulator,
    private readonly net: CourierNetwork,
  ) {}

  send(sender: SimProcess, peer: Peer, message: Outgoing, options: SendOptions | undefined): void {
    const timeoutMs = options?.timeoutMs ?? this.net.timeoutMs
    if (!(timeoutMs >= 0 && timeoutMs < Infinity)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`)
    const metrics = this.sim.metrics
    const kind = metrics.kind(message.kind)
    const body = wholeBody(message)
    metrics.countSent(kind, body.length)
    if (!sender.alive) return metrics.countDropped(kind, 'sender-down')
    const from = sender.node
    const expectsReply = options?.expectReply === true
    const incoming: Incoming = {
      kind: message.kind,
      from: from.idBytes,
      fromHex: from.id,
      to: message.to ?? NO_TARGET,
      id: sender.random.bytes(16),
      ref: undefined,
      timestamp: sender.clock.now(),
      body,
      bodyType: message.bodyType ?? BodyType.binary,
      expectsReply,
    }
    if (incoming.bodyType === BodyType.parts) incoming.split = openParts(body)
    const to = this.net.nodeAt(peer.endpoint)
    const onResult = options?.onResult
    const elapsed = this.sim.elapsed
    const flight = new Flight(sender, from.sendCounter++, to, peer.endpoint, peer.id, incoming, kind, onResult, timeoutMs, elapsed + timeoutMs)
    if (this.sim.tracing) this.sim.note(`send ${from.endpoint}>${peer.endpoint} ${message.kind} ${shortId(incoming.id)}${expectsReply ? ' (request)' : ''}`)

    if (to === undefined) {
      this.drop(flight, kind, 'unknown-endpoint')
      // No route back to model: a refused connection costs a default round trip.
      const at = elapsed + 2 * this.net.defaultLink.latencyMs
      if (onResult !== undefined) {
        if (at < flight.deadline) this.sim.scheduleAtElapsed(at, this, ERROR, flight, new BorgError('unavailable', `no node at ${peer.endpoint}`))
        else this.awaitTimeout(flight)
      }
      return
    }
    // No timeout is scheduled yet: most requests are answered in time, and a timeout event per request
    // (cancelled a few ms later) would double the agenda. Every path on which the answer may miss the
    // deadline schedules it (awaitTimeout), at the same virtual time.

    const link = this.net.link(from, to)
    const defaults = this.net.defaultLink
    const key = this.net.fateKey
    const loss = link.loss ?? defaults.loss
    if (loss > 0 && fate(key, from.index, flight.counter, Lane.loss) < loss) {
      this.drop(flight, kind, 'loss')
      return this.awaitTimeout(flight)
    }
    const latency = link.latencyMs ?? defaults.latencyMs
    const jitter = link.jitterMs ?? defaults.jitterMs
    this.launch(flight, 0, jitter > 0 ? latency + jitter * fate(key, from.index, flight.counter, Lane.forward) : latency)
    const duplicate = link.duplicate ?? defaults.duplicate
    if (duplicate > 0 && fate(key, from.index, flight.counter, Lane.duplicate) < duplicate) {
      metrics.messagesDuplicated++
      this.launch(flight, 1, jitter > 0 ? latency + jitter * fate(key, from.index, flight.counter, Lane.forward + 1) : latency)
    }
  }

  /** Called by SimResponder.reply(). */
  reply(responder: SimResponder, message: Outgoing): void {
    const { flight, receiver, copy } = responder
    const metrics = this.sim.metrics
    const kind = metrics.kind(message.kind)
    const body = wholeBody(message)
    metrics.countSent(kind, body.length)
    if (!receiver.alive) return metrics.countDropped(kind, 'sender-down')
    if (flight.onResult === undefined) return metrics.countDropped(kind, 'no-listener')
    const reply: Incoming = {
      kind: message.kind,
      from: receiver.node.idBytes,
      fromHex: receiver.node.id,
      to: message.to ?? NO_TARGET,
      id: receiver.random.bytes(16),
      ref: flight.message.id,
      timestamp: receiver.clock.now(),
      body,
      bodyType: message.bodyType ?? BodyType.binary,
      expectsReply: false,
    }
    if (reply.bodyType === BodyType.parts) reply.split = openParts(body)
    // Already answered or timed out: it could only arrive late, so skip the trip.
    if (flight.done) return this.dropReply(flight, reply, 'late')
    const delay = this.backDelay(flight, copy)
    if (delay < 0) {
      this.dropReply(flight, reply, 'loss')
      return this.awaitTimeout(flight)
    }
    // A reply due after the deadline still travels: it arrives late and is counted so.
    if (this.sim.elapsed + delay >= flight.deadline) this.awaitTimeout(flight)
    this.sim.schedule(delay, this, REPLY, flight, reply)
  }

  /** Called by SimResponder.fail(). */
  fail(responder: SimResponder, code: ErrorCode, text: string): void {
    if (responder.receiver.alive) this.answer(responder.flight, responder.copy, ERROR, new BorgError(code, text))
  }

  onEvent(code: number, a: unknown, b: unknown): void {
    const flight = a as Flight
    switch (code) {
      case ARRIVE:
        return this.arrive(flight, b as number)
      case ACK:
        return this.answerArrived(flight, null)
      case ERROR:
        return this.answerArrived(flight, b as BorgError)
      case REPLY:
        return this.replyArrived(flight, b as Incoming)
      case TIMEOUT:
        flight.timeoutRef = -1
        if (!flight.done && flight.sender.alive) this.sim.metrics.timeouts++
        return this.finish(flight, new BorgError('timeout', `${flight.message.kind} to ${flight.endpoint}: no answer within ${flight.timeoutMs} ms`))
    }
  }

  describe(code: number, a: unknown, b: unknown): string {
    const flight = a as Flight
    const route = `${flight.from.endpoint}>${flight.endpoint}`
    const what = `${flight.message.kind} ${shortId(flight.message.id)}`
    switch (code) {
      case ARRIVE:
        return `arrive ${route} ${what}${b ? ' (copy 2)' : ''}`
      case ACK:
        return `ack ${route} ${what}`
      case ERROR:
        return `error ${route} ${what}: ${(b as BorgError).code}`
      case REPLY:
        return `reply ${route} ${what}: ${(b as Incoming).kind}`
      default:
        return `timeout ${route} ${what}`
    }
  }

  private launch(flight: Flight, copy: number, delay: number): void {
    // A sender whose deadline falls before arrival stops waiting; the message still lands.
    if (this.sim.elapsed + delay >= flight.deadline) this.awaitTimeout(flight)
    this.sim.schedule(delay, this, ARRIVE, flight, copy)
  }

  private arrive(flight: Flight, copy: number): void {
    const to = flight.to!
    const kind = flight.kindMetrics
    if (this.net.separated(flight.from, to)) {
      this.drop(flight, kind, 'partition')
      return this.awaitTimeout(flight)
    }
    const receiver = to.instance
    const handler = receiver?.handler
    if (receiver === undefined || handler === undefined) {
      this.drop(flight, kind, 'down')
      return this.answer(flight, copy, ERROR, new BorgError('unavailable', `connection refused: ${to.endpoint} is down`))
    }
    const expected = flight.expectedId
    if (expected !== undefined && expected !== to.id && expected.toLowerCase() !== to.id) {
      this.drop(flight, kind, 'identity-mismatch')
      const error = new BorgError('identity-mismatch', `${to.endpoint} is not ${expected}`, { details: { expected, actual: to.id } })
      return this.answer(flight, copy, ERROR, error)
    }
    if (flight.message.body.length > this.net.maxBodyBytes) {
      // As the HTTPS server refuses a body over its limit before reading it.
      this.drop(flight, kind, 'too-large')
      return this.answer(flight, copy, ERROR, new BorgError('too-large', `message of ${flight.message.body.length} bytes exceeds the limit of ${this.net.maxBodyBytes}`))
    }
    if (flight.deliveredTo === receiver && this.net.dedupe) return this.drop(flight, kind, 'duplicate')
    flight.deliveredTo = receiver
    const message = flight.message
    this.sim.metrics.countDelivered(kind, message.body.length)
    if (!message.expectsReply) {
      try {
        handler(message, undefined)
      } catch (error) {
        // As the HTTPS server answers a one-way message whose handler threw: with that error, not an ack.
        this.handlerFailed(message, error)
        const answer = error instanceof BorgError ? error : new BorgError('internal', `handler for '${message.kind}' threw: ${describeError(error)}`)
        return this.answer(flight, copy, ERROR, answer)
      }
      return this.answer(flight, copy, ACK, undefined)
    }
    const responder = new SimResponder(this, flight, receiver, copy)
    try {
      handler(message, responder)
    } catch (error) {
      this.handlerFailed(message, error)
      if (!responder.used) responder.fail('internal', `handler for '${message.kind}' threw: ${describeError(error)}`)
    }
    // Answered later (or never): the sender may have to give up at its deadline.
    if (!responder.used) this.awaitTimeout(flight)
  }

  /** Send an ack or error back over the reverse link, unless nobody waits or it would be too late. */
  private answer(flight: Flight, copy: number, code: number, error: BorgError | undefined): void {
    if (flight.onResult === undefined || flight.done) return
    const delay = this.backDelay(flight, copy)
    if (delay < 0) {
      this.sim.metrics.answersLost++
      return this.awaitTimeout(flight)
    }
    if (this.sim.elapsed + delay >= flight.deadline) return this.awaitTimeout(flight)
    this.sim.schedule(delay, this, code, flight, error)
  }

  /** Delay of the way back for copy `copy` of the message, or -1 when that leg is lost. */
  private backDelay(flight: Flight, copy: number): number {
    const from = flight.from
    const link = this.net.link(flight.to!, from)
    const defaults = this.net.defaultLink
    const key = this.net.fateKey
    const lane = Lane.back + 2 * copy
    const loss = link.loss ?? defaults.loss
    if (loss > 0 && fate(key, from.index, flight.counter, lane) < loss) return -1
    const latency = link.latencyMs ?? defaults.latencyMs
    const jitter = link.jitterMs ?? defaults.jitterMs
    return jitter > 0 ? latency + jitter * fate(key, from.index, flight.counter, lane + 1) : latency
  }

  private answerArrived(flight: Flight, error: BorgError | null): void {
    if (flight.to !== undefined && this.net.separated(flight.to, flight.from)) {
      this.sim.metrics.answersLost++
      return this.awaitTimeout(flight)
    }
    this.finish(flight, error)
  }

  private replyArrived(flight: Flight, reply: Incoming): void {
    if (this.net.separated(flight.to!, flight.from)) {
      this.dropReply(flight, reply, 'partition')
      return this.awaitTimeout(flight)
    }
    if (flight.done) return this.dropReply(flight, reply, 'late')
    if (!flight.sender.alive) return this.dropReply(flight, reply, 'down')
    this.sim.metrics.countDelivered(this.sim.metrics.kind(reply.kind), reply.body.length)
    this.finish(flight, null, reply)
  }

  /** Deliver the sender's one result; exceptions from onResult propagate out of the run. */
  private finish(flight: Flight, error: BorgError | null, reply?: Incoming): void {
    if (flight.done) return
    flight.done = true
    if (flight.timeoutRef >= 0) {
      this.sim.cancel(flight.timeoutRef)
      flight.timeoutRef = -1
    }
    if (flight.onResult !== undefined && flight.sender.alive) flight.onResult(error, reply)
  }

  /** Make sure the sender hears 'timeout' at its deadline (idempotent). */
  private awaitTimeout(flight: Flight): void {
    if (flight.onResult === undefined || flight.done || flight.timeoutRef >= 0) return
    flight.timeoutRef = this.sim.scheduleAtElapsed(flight.deadline, this, TIMEOUT, flight)
  }

  private drop(flight: Flight, kind: KindMetrics, reason: DropReason): void {
    this.sim.metrics.countDropped(kind, reason)
    if (this.sim.tracing) this.sim.note(`drop ${reason} ${flight.from.endpoint}>${flight.endpoint} ${flight.message.kind} ${shortId(flight.message.id)}`)
  }

  private dropReply(flight: Flight, reply: Incoming, reason: DropReason): void {
    this.sim.metrics.countDropped(this.sim.metrics.kind(reply.kind), reason)
    if (this.sim.tracing) this.sim.note(`drop ${reason} reply ${flight.endpoint}>${flight.from.endpoint} ${reply.kind} re ${shortId(flight.message.id)}`)
  }

  private handlerFailed(message: Incoming, error: unknown): void {
    this.sim.metrics.countHandlerError(error)
    if (this.sim.tracing) this.sim.note(`handler for ${message.kind} threw: ${describeError(error)}`)
  }
}

function shortId(id: Uint8Array): string {
  return bytesToHex(id.subarray(0, 4))
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The body as one byte string (a parts body's parts appended to its index; the simulator copies, the transports do not). */
function wholeBody(message: Outgoing): Uint8Array {
  const body = message.body ?? EMPTY
  return message.parts && message.parts.length > 0 ? concatBytes(body, ...message.parts) : body
}
