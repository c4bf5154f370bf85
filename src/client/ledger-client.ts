/**
 * A client of a ledger network (docs/ledger.md "How a block becomes final"):
 * it learns the network and the epoch's committee from one ledger cell, asks
 * every representative for a vote on a block, assembles a certificate as soon
 * as the votes hold more than 2/3 of the weight, and hands the certificate to
 * every representative. Requests to one representative are batched (one
 * signed message carries up to MAX_ITEMS blocks), so a load of many accounts
 * costs a few messages per round trip, and a stopped representative only
 * costs its share of the weight, never a wait: the quorum comes from the rest.
 */
import { BorgError, isErrorCode, type ErrorCode } from '../core/errors.js'
import { bytesToHex, hexToBytes } from '../core/bytes.js'
import { request } from '../core/messaging/requests.js'
import type { Peer, Transport } from '../core/wire/transport.js'
import { decodeBlock, type SignedBlock } from '../core/ledger/block.js'
import { checkCertificate, decodeCertificate, encodeCertificate, isQuorum, totalWeight, votesFromBatch, type Certificate, type Committee, type Vote } from '../core/ledger/certificate.js'
import type { Source } from '../core/ledger/representative.js'
import { decodeGenesis, genesisCommittee } from '../core/ledger/genesis.js'
import { checkEpochCertificate, decodeEpochCertificate } from '../core/ledger/epoch.js'
import { LEDGER_CODECS, MAX_ITEMS, certificateEpoch, type AccountReply, type LedgerStatus } from '../cells/ledger/messages.js'

export interface NetworkView {
  status: LedgerStatus
  network: Uint8Array
  addressVersion: number
  committee: Committee
  /** Representatives this client can reach. */
  reps: (Peer & { id: string; weight: bigint })[]
}

export interface CertifiedBlock {
  signed: SignedBlock
  certificate: Certificate
  source?: Source
}

/** What one account looks like across the representatives. */
export interface AccountView {
  address: string
  account?: string
  head?: { signed: SignedBlock; certificate?: Certificate }
  balance: bigint
  representative?: string
  frozen: boolean
  /** Blocks of this account some representative voted for above the head (one, unless the owner equivocated). */
  proposals: SignedBlock[]
  /** Certified sends to this address not received yet (certificates checked). */
  receivable: Source[]
}

export interface LedgerClientOptions {
  transport: Transport
  /** A ledger cell to learn the network from (the local node's). */
  entry: Peer
  timeoutMs?: number
}

/** Account and history queries in flight to one representative; votes and confirms go in batches besides. */
const MAX_QUERIES_PER_PEER = 32

type VoteOutcome = ({ vote: Vote } | { refused: BorgError }) & { epoch: bigint }

/** A block to vote on as it goes out (`wire`), and what the vote's statement names besides the epoch. */
interface VoteRequest {
  wire: { block: string; source?: { send: string; certificate: string }; previous?: EntryText }
  network: Uint8Array
  account: Uint8Array
  height: bigint
  block: Uint8Array
}

interface Queued<T, R> {
  item: T
  resolve(result: R): void
  reject(error: Error): void
  done(): boolean
}

/** Per representative: items wait for the next macrotask and go out together, at most `inFlight` messages at a time. */
class Batcher<T, R> {
  private queue: Queued<T, R>[] = []
  private inFlight = 0
  private scheduled = false

  constructor(
    private readonly send: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 4,
  ) {}

  add(item: T, done: () => boolean = () => false): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject, done })
      this.kick()
    })
  }

  private kick(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      this.queue = this.queue.filter((q) => {
        if (!q.done()) return true
        q.reject(new Cancelled('not needed any more'))
        return false
      })
      const batch = this.queue.splice(0, MAX_ITEMS)
      if (batch.length === 0) return
      this.inFlight++
      this.send(batch.map((q) => q.item))
        .then(
          (results) => batch.forEach((q, i) => (results[i] === undefined ? q.reject(new BorgError('malformed', 'a result is missing from the reply')) : q.resolve(results[i]!))),
          (error: Error) => batch.forEach((q) => q.reject(error)),
        )
        .finally(() => {
          this.inFlight--
          this.pump()
        })
    }
  }
}

export class LedgerClient {
  private view?: NetworkView
  private refreshing?: Promise<NetworkView>
  private readonly committees = new Map<bigint, Committee>()
  private readonly gates = new Map<string, { active: number; waiting: (() => void)[] }>()
  private readonly voters = new Map<string, Batcher<VoteRequest, VoteOutcome>>()
  private readonly confirmers = new Map<string, Batcher<EntryText, { outcome: string; code?: string; error?: string }>>()
  private readonly timeoutMs: number

  constructor(private readonly options: LedgerClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000
  }

  /**
   * The network and the current committee, from the entry cell (cached). Every epoch's committee
   * is checked from the genesis document on: each epoch certificate by the committee before it.
   */
  async network(refresh = false): Promise<NetworkView> {
    if (this.view && !refresh) return this.view
    // Callers that find the view stale at once share one refresh.
    this.refreshing ??= this.fetchNetwork().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private async fetchNetwork(): Promise<NetworkView> {
    const reply = await request(this.options.transport, this.options.entry, LEDGER_CODECS.status.encode({}), this.timeoutMs)
    const status = LEDGER_CODECS.statusReply.decode(reply)
    if (!status.ready || !status.network || !status.genesis || !status.committee || status.epoch === undefined || status.addressVersion === undefined) {
      throw new BorgError('unavailable', `the ledger cell asked keeps no ledger: ${status.why ?? 'no genesis pinned'}`)
    }
    const network = hexToBytes(status.network)
    if (!this.committees.has(0n)) {
      const genesis = decodeGenesis(hexToBytes(status.genesis))
      if (bytesToHex(genesis.id) !== status.network) throw new BorgError('bad-reply', 'the genesis document does not hash to the network id')
      this.committees.set(0n, genesisCommittee(genesis))
    }
    const epoch = BigInt(status.epoch)
    while (BigInt(this.committees.size - 1) < epoch) {
      const from = BigInt(this.committees.size)
      const { certificates } = LEDGER_CODECS.epochsReply.decode(await request(this.options.transport, this.options.entry, LEDGER_CODECS.epochs.encode({ from: from.toString() }), this.timeoutMs))
      if (certificates.length === 0) throw new BorgError('bad-reply', `the ledger cell is at epoch ${epoch} but gives no certificate for epoch ${from}`)
      for (const hex of certificates) {
        const certificate = decodeEpochCertificate(hexToBytes(hex))
        const previous = this.committees.get(certificate.committee.epoch - 1n)
        if (!previous) throw new BorgError('bad-reply', `epoch certificates out of order (${certificate.committee.epoch})`)
        checkEpochCertificate(certificate, previous, network)
        this.committees.set(certificate.committee.epoch, certificate.committee)
      }
    }
    const committee = this.committees.get(epoch)!
    const endpoints = new Map(status.committee.map((m) => [m.id, m.endpoint]))
    const reps = [...committee.weights].flatMap(([id, weight]) => (endpoints.get(id) ? [{ endpoint: endpoints.get(id)!, id, weight }] : []))
    this.view = { status, network, addressVersion: status.addressVersion, committee, reps }
    return this.view
  }

  /** The committee of `epoch` (checked from the genesis on), asking the network again if it is newer than this client knows. */
  async committeeOf(epoch: bigint): Promise<Committee | undefined> {
    if (!this.committees.has(epoch)) await this.network(true)
    return this.committees.get(epoch)
  }

  /**
   * An account by key id or address, from the representatives: the highest certified head whose
   * certificate checks wins. Answers from more than 2/3 of the weight are enough (a block's
   * certificate reached at least that much before its sender went on, and any two such sets
   * share a representative), so a stopped representative costs no wait.
   */
  async account(query: { account?: string; address?: string }): Promise<AccountView> {
    const view = await this.network()
    const peers = view.reps.length > 0 ? view.reps : [{ ...this.options.entry, id: '', weight: 1n }]
    const committee: Committee = view.reps.length > 0 ? view.committee : { epoch: 0n, weights: new Map([['', 1n]]) }
    const replies: AccountReply[] = []
    await new Promise<void>((resolve, reject) => {
      let weight = 0n
      let pending = peers.length
      let done = false
      const settle = () => {
        if (done) return
        if (isQuorum(weight, committee) || pending === 0) {
          done = true
          resolve()
        }
      }
      for (const peer of peers) {
        this.limited(peer.endpoint, () => request(this.options.transport, peer, LEDGER_CODECS.account.encode(query), this.timeoutMs))
          .then(
            (m) => {
              replies.push(LEDGER_CODECS.accountReply.decode(m))
              weight += peer.weight
            },
            (error: BorgError) => {
              // The question itself is wrong (a malformed address): every representative will say so.
              if (!done && (error.code === 'invalid-input' || error.code === 'malformed' || error.code === 'usage')) {
                done = true
                reject(error)
              }
            },
          )
          .finally(() => {
            pending--
            settle()
          })
      }
    })
    if (replies.length === 0) throw new BorgError('unavailable', 'no representative answered')
    // A representative already in a later epoch: learn its committee before checking what it sent.
    const epochs = replies.flatMap((r) => [...(r.head?.certificate !== undefined ? [r.head.certificate] : []), ...r.receivable.map((x) => x.certificate)].map(certificateEpoch))
    if (epochs.some((e) => !this.committees.has(e))) return this.merge(await this.network(true), replies)
    return this.merge(view, replies)
  }

  private merge(view: NetworkView, replies: AccountReply[]): AccountView {
    let best: AccountView['head']
    let bestReply: AccountReply = replies[0]!
    for (const reply of replies) {
      if (!reply.head) continue
      const signed = decodeBlock(hexToBytes(reply.head.block))
      if (best && signed.block.height <= best.signed.block.height) continue
      try {
        const certificate = this.checkEntry(view, signed, reply.head.certificate)
        best = { signed, certificate }
        bestReply = reply
      } catch {
        // a head this client cannot check is no head
      }
    }
    const head = best?.signed.block
    const proposals = new Map<string, SignedBlock>()
    for (const reply of replies) {
      if (!reply.proposal) continue
      try {
        const p = decodeBlock(hexToBytes(reply.proposal))
        if (p.block.height === (head ? head.height + 1n : 0n)) proposals.set(bytesToHex(p.id), p)
      } catch {
        // unreadable: ignored
      }
    }
    const receivable = new Map<string, Source>()
    const bestHeight = best?.signed.block.height
    for (const reply of replies) {
      // Only a representative as far along this account's chain as the best knows what it received.
      const height = reply.head ? decodeBlock(hexToBytes(reply.head.block), () => true).block.height : undefined
      if (height !== bestHeight) continue
      for (const r of reply.receivable) {
        try {
          const send = decodeBlock(hexToBytes(r.send))
          const id = bytesToHex(send.id)
          if (receivable.has(id)) continue
          const certificate = this.checkEntry(view, send, r.certificate)!
          receivable.set(id, { send, certificate })
        } catch {
          // not certified as far as this client can check
        }
      }
    }
    // A send some representative saw received already is not receivable.
    if (head && (head.op === 'receive' || head.op === 'open')) receivable.delete(bytesToHex(head.source))
    return {
      address: bestReply.address,
      account: bestReply.account ?? replies.find((r) => r.account)?.account,
      head: best,
      balance: head?.balance ?? 0n,
      representative: head ? bytesToHex(head.representative) : undefined,
      frozen: replies.some((r) => r.frozen),
      proposals: [...proposals.values()],
      receivable: [...receivable.values()],
    }
  }

  /** The certificate of `signed` checked against the committee; the genesis block needs none (the genesis file is its proof). */
  private checkEntry(view: NetworkView, signed: SignedBlock, certificateHex: string | undefined): Certificate | undefined {
    const b = signed.block
    if (certificateHex === undefined) {
      if (b.op === 'open' && b.height === 0n && bytesToHex(b.account) === view.status.treasury && bytesToHex(b.network) === bytesToHex(view.network)) return undefined
      throw new BorgError('refused', 'a block without a certificate')
    }
    const certificate = decodeCertificate(hexToBytes(certificateHex))
    if (bytesToHex(certificate.block) !== bytesToHex(signed.id)) throw new BorgError('refused', 'the certificate is for another block')
    const committee = this.committees.get(certificate.epoch)
    if (!committee) throw new BorgError('refused', `a certificate of epoch ${certificate.epoch}, which this client does not know`)
    checkCertificate(certificate, committee, view.network)
    return certificate
  }

  /** The account's certified blocks from height `from`, from the representatives in turn. */
  async history(account: string, from = 0n): Promise<{ signed: SignedBlock; certificate?: Certificate }[]> {
    let view = await this.network()
    let lastError: Error = new BorgError('unavailable', 'no representative answered')
    for (const peer of view.reps.length > 0 ? view.reps : [this.options.entry]) {
      try {
        const out: { signed: SignedBlock; certificate?: Certificate }[] = []
        for (let at = from; ; ) {
          const reply = LEDGER_CODECS.historyReply.decode(await request(this.options.transport, peer, LEDGER_CODECS.history.encode({ account, from: at.toString() }), this.timeoutMs))
          // Blocks certified in an epoch this client has not seen yet: learn its committee first.
          if (reply.entries.some((e) => e.certificate !== undefined && !this.committees.has(certificateEpoch(e.certificate)))) view = await this.network(true)
          for (const e of reply.entries) {
            const signed = decodeBlock(hexToBytes(e.block))
            out.push({ signed, certificate: this.checkEntry(view, signed, e.certificate) })
          }
          if (reply.entries.length === 0) break
          at += BigInt(reply.entries.length)
        }
        return out
      } catch (error) {
        lastError = error as Error
      }
    }
    throw lastError
  }

  /**
   * Drive `signed` to a certificate: a vote from every representative that
   * gives one, until more than 2/3 of the committee weight voted. A
   * representative that refuses (it may lag) is asked once more with the
   * account's previous certified block. Throws `refused` with the
   * representatives' reasons when no quorum can be reached.
   */
  async certify(signed: SignedBlock, options: { source?: Source; previous?: CertifiedBlock } = {}): Promise<Certificate> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.certifyIn(await this.network(attempt > 0), signed, options)
      } catch (error) {
        // Representatives moved to another epoch (its committee decides), or some could not be reached
        // where this client last knew them: ask the network again, then the representatives again.
        const retry = error instanceof StaleEpoch || (error instanceof Unreached && attempt < 2)
        if (!retry || attempt >= 3) throw error instanceof StaleEpoch || error instanceof Unreached ? new BorgError(error instanceof Unreached ? 'refused' : 'unavailable', error.message) : error
        if (error instanceof Unreached) await new Promise((r) => setTimeout(r, 200))
      }
    }
  }

  private certifyIn(view: NetworkView, signed: SignedBlock, options: { source?: Source; previous?: CertifiedBlock }): Promise<Certificate> {
    const wire = { block: bytesToHex(signed.bytes), ...(options.source ? { source: sourceText(options.source) } : {}) }
    const place = { network: view.network, account: signed.block.account, height: signed.block.height, block: signed.id }
    const item: VoteRequest = { wire, ...place }
    const statement = { ...place, epoch: view.committee.epoch }
    let finished = false
    return new Promise<Certificate>((resolve, reject) => {
      const votes = new Map<string, Vote>()
      const refusals: string[] = []
      let stale = false
      let unreached = 0
      let weight = 0n
      let pending = view.reps.length
      const settle = () => {
        if (finished) return
        if (isQuorum(weight, view.committee)) {
          finished = true
          resolve({ ...statement, votes: [...votes.values()] })
        } else if (pending === 0) {
          finished = true
          if (stale) return reject(new StaleEpoch(`representatives are in another epoch than ${view.committee.epoch}`))
          const text = `no quorum for block ${bytesToHex(signed.id).slice(0, 16)}… in epoch ${view.committee.epoch} (votes of ${weight} of ${totalWeight(view.committee)} base units of weight, ${view.reps.length} of ${view.committee.weights.size} representatives reachable): ${refusals.join('; ') || 'no representative answered'}`
          reject(unreached > 0 || view.reps.length < view.committee.weights.size ? new Unreached(text) : new BorgError('refused', text))
        }
      }
      for (const rep of view.reps) {
        const ask = async (): Promise<void> => {
          let outcome = await this.voter(rep).add(item, () => finished)
          if (outcome.epoch !== view.committee.epoch) {
            stale = true
            throw new BorgError('refused', `${rep.id.slice(0, 12)}… votes in epoch ${outcome.epoch}`)
          }
          if ('refused' in outcome && options.previous && outcome.refused.code === 'refused') {
            outcome = await this.voter(rep).add({ ...item, wire: { ...wire, previous: entryText(options.previous) } }, () => finished)
          }
          if ('refused' in outcome) throw outcome.refused
          votes.set(rep.id, outcome.vote)
          weight += rep.weight
        }
        ask().then(
          () => {
            pending--
            settle()
          },
          (error: Error) => {
            pending--
            if (error instanceof BorgError && error.retryable) unreached++
            if (!(error instanceof Cancelled)) refusals.push(`${rep.id.slice(0, 12)}…: ${error.message}`)
            settle()
          },
        )
      }
      settle()
    })
  }

  /**
   * Hand a certified block to every representative; resolves once more than 2/3 of the weight
   * applied it (or had it), or with `one` once any representative did (the others catch up from it).
   */
  async confirm(entry: CertifiedBlock, options: { one?: boolean } = {}): Promise<void> {
    const view = await this.network()
    const text = entryText(entry)
    let done = false
    await new Promise<void>((resolve, reject) => {
      let weight = 0n
      let pending = view.reps.length
      const errors: string[] = []
      let badVote = false
      const settle = () => {
        if (done) return
        if (isQuorum(weight, view.committee) || (options.one && weight > 0n)) {
          done = true
          resolve()
        } else if (pending === 0) {
          done = true
          reject(new BorgError(badVote ? 'bad-signature' : 'unavailable', `the certificate reached too few representatives: ${errors.join('; ')}`))
        }
      }
      for (const rep of view.reps) {
        this.confirmer(rep)
          .add(text)
          .then(
            (result) => {
              if (result.outcome === 'refused') {
                errors.push(`${rep.id.slice(0, 12)}…: ${result.error}`)
                if (result.code === 'bad-signature') badVote = true
              }
              else weight += rep.weight
            },
            (error: Error) => errors.push(`${rep.id.slice(0, 12)}…: ${error.message}`),
          )
          .finally(() => {
            pending--
            settle()
          })
      }
      settle()
    })
  }

  /** Run `task` when fewer than MAX_QUERIES_PER_PEER queries to `endpoint` are in flight (a link takes 64 at a time). */
  private limited<T>(endpoint: string, task: () => Promise<T>): Promise<T> {
    let gate = this.gates.get(endpoint)
    if (!gate) this.gates.set(endpoint, (gate = { active: 0, waiting: [] }))
    const g = gate
    const run = (): Promise<T> => {
      g.active++
      return task().finally(() => {
        g.active--
        g.waiting.shift()?.()
      })
    }
    if (g.active < MAX_QUERIES_PER_PEER) return run()
    return new Promise<void>((resolve) => g.waiting.push(resolve)).then(run)
  }

  private voter(rep: Peer & { id: string }) {
    let batcher = this.voters.get(rep.id)
    if (!batcher) {
      batcher = new Batcher(async (items) => {
        const reply = LEDGER_CODECS.voteReply.decode(await request(this.options.transport, rep, LEDGER_CODECS.vote.encode({ items: items.map((i) => i.wire) }), this.timeoutMs))
        const epoch = BigInt(reply.epoch)
        // One signature over the batch of statements voted for, in order: checked once, then split into votes.
        const voted = items.filter((_, i) => reply.results[i]?.voted)
        let votes: Vote[] | undefined = []
        if (voted.length > 0) {
          const statements = voted.map(({ network, account, height, block }) => ({ network, epoch, account, height, block }))
          votes = reply.signature === undefined ? undefined : votesFromBatch(statements, hexToBytes(rep.id), hexToBytes(reply.signature))
        }
        let next = 0
        return reply.results.map((r): VoteOutcome => {
          if (!r.voted) return { refused: new BorgError(asCode(r.code), r.error ?? 'refused'), epoch }
          const vote = votes?.[next++]
          return vote ? { vote, epoch } : { refused: new BorgError('bad-signature', `${rep.id.slice(0, 16)}… sent votes that do not verify`), epoch }
        })
      })
      this.voters.set(rep.id, batcher)
    }
    return batcher
  }

  private confirmer(rep: Peer & { id: string }) {
    let batcher = this.confirmers.get(rep.id)
    if (!batcher) {
      batcher = new Batcher(async (items) => LEDGER_CODECS.confirmReply.decode(await request(this.options.transport, rep, LEDGER_CODECS.confirm.encode({ items }), this.timeoutMs)).results)
      this.confirmers.set(rep.id, batcher)
    }
    return batcher
  }
}

interface EntryText {
  block: string
  certificate: string
  source?: { send: string; certificate: string }
}

function sourceText(source: Source): { send: string; certificate: string } {
  return { send: bytesToHex(source.send.bytes), certificate: bytesToHex(encodeCertificate(source.certificate)) }
}

export function entryText(entry: CertifiedBlock): EntryText {
  return { block: bytesToHex(entry.signed.bytes), certificate: bytesToHex(encodeCertificate(entry.certificate)), ...(entry.source ? { source: sourceText(entry.source) } : {}) }
}

function asCode(code: string | undefined): ErrorCode {
  return isErrorCode(code) ? code : 'refused'
}

/** Some representatives could not be reached: their weight may be elsewhere now. */
class Unreached extends Error {}

/** Representatives answered from another epoch than the client's view. */
class StaleEpoch extends Error {}

/** An item dropped from a batch before it was sent: its block was certified without this representative. */
class Cancelled extends Error {}
