/**
 * The ledger cell's organ (docs/ledger.md): with a pinned genesis, this node
 * keeps the network's certified state on disk, answers accounts, history and
 * catch-up, and — when it is a representative of the epoch — votes. Clients
 * drive blocks to certification (src/client/ledger-client.ts): they ask every
 * representative for a vote, assemble a certificate from more than 2/3 of the
 * weight and hand it back (`ledger.confirm`). A node that missed some catches
 * up by asking peers what they applied since a cursor, checking every block
 * and certificate itself, so no single peer is trusted: a peer can withhold,
 * never forge.
 *
 * Every vote and every applied certificate is on disk before it is answered.
 */
import { BorgError } from '../../core/errors.js'
import { bytesToHex, hexToBytes } from '../../core/bytes.js'
import type { Incoming } from '../../core/wire/message.js'
import type { Responder } from '../../core/wire/transport.js'
import type { Timer } from '../../core/wire/clock.js'
import { ANYONE } from '../../core/messaging/router.js'
import { request } from '../../core/messaging/requests.js'
import { answerMembers } from '../../core/tree/member-list.js'
import { ownTreeMembers, type MemberView } from '../../core/tree/member-view.js'
import type { Organ, OrganContext, ServiceOffer } from '../../core/cell/types.js'
import { BORG_VERSION } from '../../core/version.js'
import { answerWhenReady } from '../../core/cell/answer.js'
import { addressFromHash160, parseAddress, regtestNetwork } from '../../core/identity/address.js'
import { readGenesisFile } from '../../core/ledger/genesis-file.js'
import { LedgerBook, type Gap } from './ledger-book.js'
import { LedgerStore, type StoredRecord } from './ledger-store.js'
import { LEDGER_CODECS, LEDGER_KIND, MAX_ENTRIES, certificateEpoch, type LedgerStatus } from './messages.js'
import { isQuorum, type Committee } from '../../core/ledger/certificate.js'
import { decodeEpochStatement, encodeEpochCertificate, epochProposer, type EpochVote } from '../../core/ledger/epoch.js'
import type { SenderRule } from '../../core/wire/sender-rule.js'

export interface LedgerOptions {
  /** The genesis file this node pins (BORG_LEDGER_GENESIS; default `<cell dir>/genesis.json`). */
  genesisFile?: string
  /** How often a node asks a peer what it applied since it last asked, ms. */
  syncMs: number
  /** How often a representative proposes the next epoch's committee when the weights moved, ms. */
  epochMs: number
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = { syncMs: 1_000, epochMs: 10 * 60_000 }

/** How often a node without a genesis looks for one again, ms. */
const GENESIS_POLL_MS = 2_000

/** Accounts one message may make this node fetch missing blocks of (each costs up to one request per peer). */
const MAX_CATCH_UP_ACCOUNTS = 32

/** Consecutive failures at one cursor of one peer before its entry there is skipped (a peer serving junk must not stall catch-up). */
const SKIP_AFTER = 3

export class LedgerOrgan implements Organ {
  readonly name = 'ledger'
  readonly members: MemberView
  private book?: LedgerBook
  private store?: LedgerStore
  private opened?: Promise<void>
  private why = 'starting'
  private timer?: Timer
  private epochTimer?: Timer
  private waiting?: Timer
  private stopped = false
  /** Per peer: the position in its log asked from next, and failures at it. */
  private readonly cursors = new Map<string, { at: number; failures: number }>()
  /** Where each representative was last listed (bounded by the committees' sizes). */
  private readonly lastEndpoints = new Map<string, string>()
  readonly counters = { votes: 0, votesRefused: 0, applied: 0, caughtUp: 0, syncErrors: 0, skipped: 0 }

  constructor(
    private readonly ctx: OrganContext,
    private readonly options: LedgerOptions,
  ) {
    this.members = ownTreeMembers(ctx.transport, LEDGER_KIND.members, ctx.tree, ctx.clock, 10_000)
    for (const router of [ctx.net, ctx.receptor]) {
      router.on(LEDGER_KIND.members, ANYONE, (m, r) => r && answerMembers(ctx.tree, m, r, () => this.members.current))
      router.on(LEDGER_KIND.status, ANYONE, (m, r) => this.guard(r, async () => r!.reply(LEDGER_CODECS.statusReply.encode(this.statusReply()))))
      // The block's owner signature and the certificates are what authorise these, not the sender.
      router.on(LEDGER_KIND.vote, ANYONE, (m, r) => this.guard(r, () => this.onVote(m, r!), true))
      router.on(LEDGER_KIND.confirm, ANYONE, (m, r) => this.guard(r, () => this.onConfirm(m, r!), true))
      router.on(LEDGER_KIND.account, ANYONE, (m, r) => this.guard(r, async () => this.onAccount(m, r!), true))
      router.on(LEDGER_KIND.history, ANYONE, (m, r) => this.guard(r, async () => this.onHistory(m, r!), true))
      router.on(LEDGER_KIND.since, ANYONE, (m, r) => this.guard(r, async () => this.onSince(m, r!), true))
      // A statement is signed only if it is what this representative computes; a certificate carries its own authority.
      router.on(LEDGER_KIND.epoch, this.epochSenders, (m, r) => this.guard(r, () => this.onEpoch(m, r!), true))
      router.on(LEDGER_KIND.epochs, ANYONE, (m, r) => this.guard(r, async () => this.onEpochs(m, r!), true))
      router.on(LEDGER_KIND.offences, ANYONE, (m, r) => this.guard(r, async () => r!.reply(LEDGER_CODECS.offencesReply.encode({ offences: this.book!.offencesKnown().map((o) => ({ culprits: o.culprits, a: bytesToHex(o.a), b: bytesToHex(o.b) })) })), true))
    }
  }

  /** `ledger.epoch`: a certificate from anyone (it carries its own authority); a statement to sign only from the epoch's proposer, as this node's committee names it. */
  private readonly epochSenders: SenderRule = {
    name: "anyone; a statement to sign: the epoch's proposer only",
    refuse: (m) => {
      const book = this.book
      if (!book) return undefined // refused `unavailable` by the handler
      let statement: string | undefined
      try {
        statement = LEDGER_CODECS.epoch.decode(m).statement
      } catch {
        return undefined // refused `malformed` by the handler
      }
      const proposer = epochProposer(book.committee)
      if (statement === undefined || m.fromHex === proposer) return undefined
      return `the committee of epoch ${book.epoch + 1n} is proposed by ${proposer.slice(0, 16)}… only`
    },
  }

  start(): void {
    this.opened ??= this.openOrWait()
    void this.opened.then(() => this.startRounds())
  }

  /**
   * Open the ledger; without a genesis file yet, look for it again every GENESIS_POLL_MS, so a
   * network's genesis copied into place later is taken up without a restart. Requests are
   * answered meanwhile (`ready: false`; the rest `unavailable`).
   */
  private openOrWait(): Promise<void> {
    let logged = false
    const attempt = (): Promise<void> =>
      this.open().catch((error: BorgError) => {
        this.why = error.message
        if (error.code !== 'not-found') return void this.ctx.log.warn(`ledger: ${error.message}`)
        // No genesis is the normal state of a node outside any ledger network: not worth a warning.
        if (!logged) this.ctx.log.info(`ledger: ${error.message}`)
        logged = true
        if (!this.waiting) this.waiting = this.ctx.clock.after(GENESIS_POLL_MS, () => {
          this.waiting = undefined
          if (this.stopped) return
          void attempt().then(() => this.startRounds())
        })
      })
    return attempt()
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
    this.epochTimer?.cancel()
    this.waiting?.cancel()
    void this.opened?.then(() => this.store?.close()).catch(() => undefined)
  }

  offers(): ServiceOffer {
    const representative = this.book?.isRepresentative ?? false
    return representative ? { services: [{ name: 'ledger-representative', version: BORG_VERSION }], capacity: { ledgerRepresentative: true } } : {}
  }

  status(): Record<string, unknown> {
    const book = this.book
    if (!book) return { ready: false, why: this.why }
    return {
      ready: true,
      network: bytesToHex(book.network),
      role: book.isRepresentative ? 'representative' : 'observer',
      epoch: book.epoch.toString(),
      accounts: book.rep.ledger.accounts.size,
      certified: book.certifiedCount,
      storeBytes: this.store?.bytes ?? 0,
      ...this.counters,
    }
  }

  /** The book, once the genesis is read and the log replayed (tests and the status command). */
  get ledger(): LedgerBook | undefined {
    return this.book
  }

  private async open(): Promise<void> {
    const dir = this.ctx.dataDir
    if (!dir) throw new BorgError('usage', 'the ledger cell needs a data directory')
    const file = this.options.genesisFile ?? `${dir}/genesis.json`
    const { genesis, block } = await readGenesisFile(file).catch((error: BorgError) => {
      throw new BorgError(error.code, error.code === 'not-found' ? `no genesis pinned (${file}); set BORG_LEDGER_GENESIS, or copy a network's genesis file there (the node takes it up within seconds)` : error.message)
    })
    const book = new LedgerBook(genesis, block, { keyId: hexToBytes(this.ctx.self.id), sign: (bytes) => this.ctx.notary.sign(bytes) })
    const { store, records, truncated } = await LedgerStore.open(dir, genesis.id)
    if (truncated > 0) this.ctx.log.warn(`ledger: cut ${truncated} bytes of a torn write off the end of the log`)
    for (const record of records) book.replay(record)
    this.store = store
    this.book = book
    this.ctx.log.info(`ledger: network ${genesis.name} ${bytesToHex(genesis.id).slice(0, 16)}…, ${book.certifiedCount} certified blocks, ${book.isRepresentative ? 'representative' : 'observer'}`)
  }

  /** Requests wait for the log to be replayed; without a genesis they are refused with why. */
  private guard(responder: Responder | undefined, task: () => Promise<void>, needsBook = false): void {
    answerWhenReady(this.opened, responder, async () => {
      if (needsBook && !this.book) throw new BorgError('unavailable', `this node keeps no ledger: ${this.why}`)
      await task()
    }, this.ctx.log, 'ledger')
  }

  private async persist(records: readonly StoredRecord[]): Promise<void> {
    if (records.length === 0) return
    this.store!.append(records)
    await this.store!.flush()
  }

  private async onVote(m: Incoming, r: Responder): Promise<void> {
    const { items } = LEDGER_CODECS.vote.decode(m)
    const book = this.book!
    // The votes of one reply are all of one epoch (vote() is synchronous): the one read here.
    let epoch = book.epoch
    let { results, signature, records } = book.vote(items)
    // Blocks above this node's view of their chains: fetch the missing blocks from peers, then vote again.
    const behind = results.flatMap((result, i) => ('behind' in result && result.behind ? [{ i, gap: result.behind }] : []))
    if (behind.length > 0) {
      await this.persist(records)
      records = await this.catchUp(behind.map((b) => b.gap))
      // Again for all of them: the epoch may have turned meanwhile (a vote for the same block again is the same promise).
      epoch = book.epoch
      const again = book.vote(items)
      records.push(...again.records)
      results = again.results
      signature = again.signature
    }
    for (const result of results) 'voted' in result ? this.counters.votes++ : this.counters.votesRefused++
    await this.persist(records)
    r.reply(
      LEDGER_CODECS.voteReply.encode({
        epoch: epoch.toString(),
        ...(signature ? { signature: bytesToHex(signature) } : {}),
        results: results.map((result) => ('voted' in result ? result : { code: result.code, error: result.error })),
      }),
    )
  }

  private async onConfirm(m: Incoming, r: Responder): Promise<void> {
    const { items } = LEDGER_CODECS.confirm.decode(m)
    const records: StoredRecord[] = []
    const apply = (item: (typeof items)[number]) => {
      try {
        const done = this.book!.confirm(item)
        records.push(...done.records)
        if (done.outcome === 'applied') this.counters.applied++
        return { outcome: done.outcome }
      } catch (error) {
        const e = error instanceof BorgError ? error : new BorgError('internal', (error as Error).message)
        return { outcome: 'refused' as const, code: e.code, error: e.message }
      }
    }
    const results = items.map(apply)
    // Certificates of an epoch this node has not taken on yet: learn the epochs first.
    const later = results.some((result, i) => result.outcome === 'refused' && certificateEpoch(items[i]!.certificate) > this.book!.epoch)
    if (later) await this.syncEpochsFromAny()
    const behind = results.flatMap((result, i) => {
      const gap = result.outcome === 'refused' ? this.book!.gapBelow(items[i]!) : undefined
      return gap ? [{ i, gap }] : []
    })
    if (behind.length > 0) records.push(...(await this.catchUp(behind.map((b) => b.gap))))
    if (later || behind.length > 0) results.forEach((result, i) => result.outcome === 'refused' && (results[i] = apply(items[i]!)))
    await this.persist(records)
    r.reply(LEDGER_CODECS.confirmReply.encode({ results }))
  }

  /**
   * Fetch the certified blocks this node lacks below some blocks (from each gap's height on)
   * from the other representatives, one after another until one has them; each is checked
   * and applied. Returns the records to persist.
   */
  private async catchUp(gaps: Gap[]): Promise<StoredRecord[]> {
    const book = this.book!
    const records: StoredRecord[] = []
    await this.syncEpochsFromAny()
    const peers = this.otherRepresentatives(book.committee)
    const seen = new Set<string>()
    for (const gap of gaps) {
      if (seen.size >= MAX_CATCH_UP_ACCOUNTS) break
      if (seen.has(gap.account)) continue
      seen.add(gap.account)
      for (const peer of peers) {
        try {
          const reply = await request(this.ctx.transport, { endpoint: peer.endpoint, id: peer.id }, LEDGER_CODECS.history.encode({ account: gap.account, from: gap.from.toString() }), 3_000)
          const { entries } = LEDGER_CODECS.historyReply.decode(reply)
          let applied = 0
          for (const entry of entries) {
            if (entry.certificate === undefined) continue // the genesis block: every node has it
            const done = book.confirm({ ...entry, certificate: entry.certificate })
            records.push(...done.records)
            if (done.outcome === 'applied') applied++
          }
          this.counters.caughtUp += applied
          if (entries.length > 0) break
        } catch (error) {
          this.ctx.log.debug(`ledger: catching up ${gap.account.slice(0, 16)}… from ${peer.id.slice(0, 16)}…: ${(error as Error).message}`)
        }
      }
    }
    return records
  }

  private onAccount(m: Incoming, r: Responder): void {
    const query = LEDGER_CODECS.account.decode(m)
    const book = this.book!
    const network = regtestNetwork({ p2pkh: book.genesis.addressVersion })
    let address: Uint8Array | undefined
    if (query.address !== undefined) {
      const parsed = parseAddress(query.address, network) // throws invalid-input for another network's or a malformed address
      address = Uint8Array.of(parsed.network.p2pkh, ...parsed.hash160)
    }
    const account = query.account !== undefined ? hexToBytes(query.account) : undefined
    r.reply(LEDGER_CODECS.accountReply.encode(book.account({ account, address }, (a) => addressFromHash160(a.subarray(1), network))))
  }

  private onHistory(m: Incoming, r: Responder): void {
    const { account, from, limit } = LEDGER_CODECS.history.decode(m)
    r.reply(LEDGER_CODECS.historyReply.encode({ entries: this.book!.history(account, BigInt(from), limit) }))
  }

  private async onEpoch(m: Incoming, r: Responder): Promise<void> {
    const { statement, certificate } = LEDGER_CODECS.epoch.decode(m)
    const book = this.book!
    if (certificate !== undefined) {
      const { outcome, records } = book.applyEpoch(hexToBytes(certificate))
      await this.persist(records)
      if (outcome === 'applied') this.ctx.log.info(`ledger: epoch ${book.epoch} begins, ${book.committee.weights.size} representatives`)
      return r.reply(LEDGER_CODECS.epochReply.encode({ outcome }))
    }
    if (statement === undefined) throw new BorgError('malformed', 'ledger.epoch needs a statement or a certificate')
    const { signature, records } = book.voteEpoch(hexToBytes(statement))
    await this.persist(records)
    r.reply(LEDGER_CODECS.epochReply.encode({ signature: bytesToHex(signature) }))
  }

  private onEpochs(m: Incoming, r: Responder): void {
    const { from } = LEDGER_CODECS.epochs.decode(m)
    r.reply(LEDGER_CODECS.epochsReply.encode({ certificates: this.book!.epochsFrom(BigInt(from)).map(bytesToHex) }))
  }

  /**
   * A representative's epoch round: when the committee it computes from its certified state
   * differs from the current one, it asks the current committee to sign it; with more than 2/3
   * of the weight the certificate goes to every representative (and to the rest by catch-up).
   */
  async proposeEpoch(): Promise<boolean> {
    const book = this.book
    const statement = book?.proposeEpoch()
    if (!book || !statement) return false
    const current = book.committee
    const votes: EpochVote[] = []
    let weight = 0n
    await Promise.all(
      [...current.weights].map(async ([id, w]) => {
        try {
          let signature: Uint8Array
          if (id === this.ctx.self.id) {
            const mine = book.voteEpoch(statement)
            await this.persist(mine.records)
            signature = mine.signature
          } else {
            const endpoint = this.endpointOf(id)
            if (!endpoint) return
            const reply = LEDGER_CODECS.epochReply.decode(await request(this.ctx.transport, { endpoint, id }, LEDGER_CODECS.epoch.encode({ statement: bytesToHex(statement) }), 10_000))
            if (!reply.signature) return
            signature = hexToBytes(reply.signature)
          }
          votes.push({ representative: hexToBytes(id), signature })
          weight += w
        } catch (error) {
          this.ctx.log.debug(`ledger: epoch vote of ${id.slice(0, 16)}…: ${(error as Error).message}`)
        }
      }),
    )
    if (!isQuorum(weight, current) || book.committee !== current) return false
    const { network, committee } = decodeEpochStatement(statement)
    const certificate = encodeEpochCertificate({ network, committee, statement, votes })
    const { records } = book.applyEpoch(certificate)
    await this.persist(records)
    this.ctx.log.info(`ledger: epoch ${book.epoch} begins, ${committee.weights.size} representatives`)
    await Promise.all(
      this.otherRepresentatives(current).map((m) => request(this.ctx.transport, { endpoint: m.endpoint, id: m.id }, LEDGER_CODECS.epoch.encode({ certificate: bytesToHex(certificate) }), 10_000).catch(() => undefined)),
    )
    return true
  }

  private onSince(m: Incoming, r: Responder): void {
    const { cursor, limit } = LEDGER_CODECS.since.decode(m)
    r.reply(LEDGER_CODECS.sinceReply.encode(this.book!.since(cursor, limit)))
  }

  statusReply(): LedgerStatus {
    const book = this.book
    if (!book) return { ready: false, node: this.ctx.self.id, why: this.why }
    const g = book.genesis
    return {
      ready: true,
      node: this.ctx.self.id,
      network: bytesToHex(g.id),
      genesis: bytesToHex(g.bytes),
      name: g.name,
      addressVersion: g.addressVersion,
      treasury: bytesToHex(g.treasury),
      epoch: book.epoch.toString(),
      committee: [...book.committee.weights].map(([id, weight]) => {
        const endpoint = this.endpointOf(id)
        return endpoint ? { id, weight: weight.toString(), endpoint } : { id, weight: weight.toString() }
      }),
      role: book.isRepresentative ? 'representative' : 'observer',
      accounts: book.rep.ledger.accounts.size,
      certified: book.certifiedCount,
      supply: book.rep.ledger.supply().toString(),
      frozen: book.rep.frozen.size,
      offences: book.offenceCount,
    }
  }

  /**
   * Where a representative is reached: the tree's member list, else where it was last listed (a
   * representative that was stopped a while drops out of the tree until it joins again, at the
   * same address). A missing one makes the list be fetched again in the background.
   */
  private endpointOf(id: string): string | undefined {
    if (id === this.ctx.self.id) return this.ctx.self.endpoint
    const listed = this.members.byId(id)?.endpoint
    if (listed) this.lastEndpoints.set(id, listed)
    else this.members.refreshIfOlder(1_000).catch(() => undefined)
    return listed ?? this.lastEndpoints.get(id)
  }

  /** The members of `committee` other than this node, where they are reached (those with no known endpoint left out). */
  private otherRepresentatives(committee: Committee): { id: string; endpoint: string }[] {
    return [...committee.weights.keys()].filter((id) => id !== this.ctx.self.id).flatMap((id) => {
      const endpoint = this.endpointOf(id)
      return endpoint ? [{ id, endpoint }] : []
    })
  }

  // ------------------------------------------------------------ catch-up

  /** Take on the epochs the first representative that answers knows beyond this node's. */
  private async syncEpochsFromAny(): Promise<void> {
    for (const { id, endpoint } of this.otherRepresentatives(this.book!.committee)) {
      try {
        return await this.syncEpochs({ endpoint, id })
      } catch (error) {
        this.ctx.log.debug(`ledger: epochs from ${id.slice(0, 16)}…: ${(error as Error).message}`)
      }
    }
  }

  /** Take on the epochs a peer knows beyond this node's (each certificate checked by the committee before it). */
  private async syncEpochs(peer: { endpoint: string; id: string }): Promise<void> {
    const book = this.book!
    const reply = await request(this.ctx.transport, peer, LEDGER_CODECS.epochs.encode({ from: (book.epoch + 1n).toString() }), 10_000)
    const records: StoredRecord[] = []
    for (const hex of LEDGER_CODECS.epochsReply.decode(reply).certificates) records.push(...book.applyEpoch(hexToBytes(hex)).records)
    await this.persist(records)
  }

  /** A node's two rounds once its ledger is open: catch-up every syncMs, epoch proposals every epochMs. */
  private startRounds(): void {
    this.repeat(this.options.syncMs, () => this.syncOnce(), 'catch-up', (timer) => (this.timer = timer), () => this.counters.syncErrors++)
    this.repeat(this.options.epochMs, () => this.proposeEpoch(), 'epoch round', (timer) => (this.epochTimer = timer))
  }

  /** Run `task` `ms` after the previous run ended, until stopped; a failure is counted (`onError`) and logged at debug. */
  private repeat(ms: number, task: () => Promise<unknown>, what: string, keep: (timer: Timer) => void, onError?: () => void): void {
    if (this.stopped || !this.book) return
    keep(
      this.ctx.clock.after(ms, () => {
        task()
          .catch((error: Error) => {
            onError?.()
            this.ctx.log.debug(`ledger: ${what}: ${error.message}`)
          })
          .finally(() => this.repeat(ms, task, what, keep, onError))
      }),
    )
  }

  /**
   * Ask one peer (a representative first, any ledger member otherwise; a
   * different one each round) what it applied since last time, and apply it,
   * checking each block and certificate. Stops at the first entry that does
   * not apply yet (its predecessor missing) and asks again next round.
   */
  async syncOnce(): Promise<number> {
    const book = this.book
    if (!book) return 0
    await this.members.list().catch(() => [])
    const peers = this.otherRepresentatives(book.committee)
    if (peers.length === 0) return 0
    const peer = peers[Math.floor(this.ctx.random.float() * peers.length)]!
    await this.syncEpochs({ endpoint: peer.endpoint, id: peer.id })
    const cursor = this.cursors.get(peer.id) ?? { at: 0, failures: 0 }
    this.cursors.set(peer.id, cursor)
    const reply = await request(this.ctx.transport, { endpoint: peer.endpoint, id: peer.id }, LEDGER_CODECS.since.encode({ cursor: cursor.at, limit: MAX_ENTRIES }), 10_000)
    const { entries, next, total } = LEDGER_CODECS.sinceReply.decode(reply)
    if (total < cursor.at) cursor.at = 0 // the peer's log is shorter than before: it lost its disk, start over
    const records: StoredRecord[] = []
    let applied = 0
    let at = cursor.at
    for (const entry of entries) {
      try {
        const done = book.confirm(entry)
        records.push(...done.records)
        if (done.outcome === 'applied') applied++
        at++
        cursor.failures = 0
      } catch (error) {
        if (++cursor.failures < SKIP_AFTER) break
        this.counters.skipped++
        this.ctx.log.debug(`ledger: skipped entry ${at} of ${peer.id.slice(0, 16)}…: ${(error as Error).message}`)
        cursor.failures = 0
        at++
      }
    }
    cursor.at = entries.length === 0 ? Math.min(next, total) : at
    await this.persist(records)
    this.counters.caughtUp += applied
    return applied
  }
}
