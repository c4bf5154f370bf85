/**
 * One node's book of a ledger network (sans-I/O): the representative's
 * rules and certified state (src/core/ledger/representative.ts) plus what a
 * node answers from — the certified blocks in the order it applied them (what
 * peers catch up from), each account's chain, and the sends each address can
 * receive. It never touches the disk or the network: every method that
 * changes it hands back the records the caller must make durable before it
 * answers (src/cells/ledger/ledger-store.ts).
 */
import { BorgError } from '../../core/errors.js'
import { bytesToHex, equalBytes, hexToBytes } from '../../core/bytes.js'
import { SIGNATURE_BYTES, decodeBlock, type SignedBlock } from '../../core/ledger/block.js'
import { sha256 } from '../../core/crypto/hash.js'
import { checkCertificate, checkEquivocation, decodeCertificate, encodeCertificate, signVotes, type Certificate, type Committee, type Vote, type VoteStatement } from '../../core/ledger/certificate.js'
import { genesisCommittee, type Genesis } from '../../core/ledger/genesis.js'
import { epochCommittee } from '../../core/ledger/committee.js'
import { checkEpochCertificate, closeEnough, decodeEpochCertificate, decodeEpochStatement, encodeEpochStatement, epochProposer, sameCommittee, signEpoch } from '../../core/ledger/epoch.js'
import { Representative, type Source } from '../../core/ledger/representative.js'
import type { StoredRecord } from './ledger-store.js'
import { MAX_ENTRIES, MAX_RECEIVABLE, type AccountReply } from './messages.js'

/** A certified block as it travels (hex of canonical bytes). */
export interface EntryText {
  block: string
  certificate: string
  source?: { send: string; certificate: string }
}

/** A block of a chain: certified, or the genesis block (no certificate). */
export type ChainEntryText = Omit<EntryText, 'certificate'> & { certificate?: string }

interface Entry {
  signed: SignedBlock
  text: EntryText
}

/** Own votes kept for blocks not applied yet (beyond it the oldest go: their certificates cost a path check). */
const MAX_OWN_VOTES = 65_536

/** `account:height` of a statement (hex key id). */
function slotOf(s: { account: Uint8Array; height: bigint }): string {
  return `${bytesToHex(s.account)}:${s.height}`
}

/** Most offences a node keeps to serve (each proof is two certificates). */
export const MAX_OFFENCES = 64

export interface Offence {
  /** Representatives (key id hex) whose votes are in both certificates. */
  culprits: string[]
  a: Uint8Array
  b: Uint8Array
}

export interface Signer {
  keyId: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/** `behind`: the block is above this node's view of its chain, which lacks heights from `from` (the caller may fetch them and ask again). */
export type VoteResult = { voted: true } | { code: string; error: string; behind?: Gap }
export interface Gap {
  account: string
  from: bigint
}
export type ConfirmOutcome = 'applied' | 'known'

export class LedgerBook {
  readonly rep: Representative
  readonly network: Uint8Array
  /** Every epoch's committee this node knows, from the genesis committee on (each certified by the one before). */
  private readonly committees = new Map<bigint, Committee>()
  /** Epoch certificates, in order (epoch 1 first): what peers catch up from. */
  private readonly epochCertificates: Uint8Array[] = []
  /** The one statement this representative signed per epoch number. */
  private readonly epochVotes = new Map<bigint, string>()
  private readonly offences: Offence[] = []
  /** This representative's votes (slot → vote) for blocks it has not applied yet. */
  private readonly ownVotes = new Map<string, { statement: VoteStatement; vote: Vote }>()
  offenceCount = 0
  private readonly federation: { treasury: string; genesisRepresentative: string; representatives: string[] }
  /** Certified blocks after the genesis block, in the order this node applied them. */
  private readonly entries: Entry[] = []
  private readonly byId = new Map<string, Entry>()
  /** Account key id hex → its entries by height (the genesis block is the treasury's height 0). */
  private readonly chains = new Map<string, Entry[]>()
  private readonly accountOfAddress = new Map<string, string>()
  /** Address hex → ids of certified sends to it not yet received. */
  private readonly receivable = new Map<string, Set<string>>()
  private readonly genesisEntry: Entry

  constructor(
    readonly genesis: Genesis,
    genesisBlock: SignedBlock,
    readonly self: Signer,
  ) {
    this.network = genesis.id
    this.committees.set(0n, genesisCommittee(genesis))
    this.federation = { treasury: bytesToHex(genesis.treasury), genesisRepresentative: bytesToHex(genesisBlock.block.representative), representatives: genesis.representatives.map(bytesToHex) }
    this.rep = new Representative({ network: genesis.id, addressVersion: genesis.addressVersion }, { current: () => this.epoch, committee: (e) => this.committees.get(e) })
    this.rep.ledger.openTreasury(genesisBlock)
    this.genesisEntry = { signed: genesisBlock, text: { block: bytesToHex(genesisBlock.bytes), certificate: '' } }
    this.index(this.genesisEntry)
  }

  /** The current epoch: the last one whose committee this node holds. */
  get epoch(): bigint {
    return BigInt(this.epochCertificates.length)
  }

  get committee(): Committee {
    return this.committees.get(this.epoch)!
  }

  committeeOf(epoch: bigint): Committee | undefined {
    return this.committees.get(epoch)
  }

  // -------------------------------------------------------------- epochs

  /** The committee this representative would propose for the next epoch, or undefined (not a representative, or nothing would change). */
  proposeEpoch(): Uint8Array | undefined {
    if (epochProposer(this.committee) !== bytesToHex(this.self.keyId)) return undefined
    // Once signed, the same statement is proposed until it is certified (a second one would split the votes).
    const signed = this.epochVotes.get(this.epoch + 1n)
    if (signed !== undefined) return hexToBytes(signed)
    const next = epochCommittee(this.rep.ledger.accounts, this.epoch + 1n, this.federation)
    if (next.weights.size === 0 || sameCommittee({ ...next, epoch: this.epoch }, this.committee)) return undefined
    return encodeEpochStatement(this.network, next)
  }

  /**
   * Sign a proposed committee for the next epoch (the proposer's: the ledger cell's sender rule
   * for `ledger.epoch` admits no other), only one per epoch, and only if it is close to the one
   * this representative computes from its own certified state.
   */
  voteEpoch(statement: Uint8Array): { signature: Uint8Array; records: StoredRecord[] } {
    const { network, committee } = decodeEpochStatement(statement)
    if (!equalBytes(network, this.network)) throw new BorgError('refused', 'an epoch statement of another network')
    if (!this.isRepresentative) throw new BorgError('refused', `this node is not a representative of epoch ${this.epoch}`)
    if (committee.epoch !== this.epoch + 1n) throw new BorgError('refused', `this node is at epoch ${this.epoch}; it signs a committee for epoch ${this.epoch + 1n} only`)
    const hex = bytesToHex(statement)
    const signed = this.epochVotes.get(committee.epoch)
    if (signed !== undefined && signed !== hex) throw new BorgError('refused', `this representative signed another committee for epoch ${committee.epoch}`)
    const own = epochCommittee(this.rep.ledger.accounts, committee.epoch, this.federation)
    if (signed === undefined && !closeEnough(own, committee)) throw new BorgError('refused', 'the committee proposed is not the one this representative computes from its certified state (more than 1 % of the weight differs)')
    this.epochVotes.set(committee.epoch, hex)
    return { signature: signEpoch(statement, this.self).signature, records: signed === undefined ? [{ type: 'epoch-vote', statement }] : [] }
  }

  /** Take on the next epoch's committee from its certificate (checked against the current committee). */
  applyEpoch(bytes: Uint8Array): { outcome: ConfirmOutcome; records: StoredRecord[] } {
    const certificate = decodeEpochCertificate(bytes)
    const epoch = certificate.committee.epoch
    if (epoch >= 1n && epoch <= this.epoch) {
      if (!equalBytes(this.epochCertificates[Number(epoch) - 1]!.subarray(0, certificate.statement.length), certificate.statement)) throw new BorgError('refused', `another committee is certified for epoch ${epoch}`)
      return { outcome: 'known', records: [] }
    }
    if (epoch !== this.epoch + 1n) throw new BorgError('refused', `this node is at epoch ${this.epoch}: epoch ${epoch}'s certificate needs the ones before it`)
    checkEpochCertificate(certificate, this.committee, this.network)
    this.takeEpoch(certificate.committee, bytes)
    return { outcome: 'applied', records: [{ type: 'epoch', certificate: bytes }] }
  }

  private takeEpoch(committee: Committee, certificate: Uint8Array): void {
    this.committees.set(committee.epoch, committee)
    this.epochCertificates.push(certificate)
  }

  /** Epoch certificates from epoch `from` on (epoch 1 is the first). */
  epochsFrom(from: bigint): Uint8Array[] {
    return this.epochCertificates.slice(Math.max(0, Number(from) - 1), Math.max(0, Number(from) - 1) + MAX_ENTRIES)
  }

  get isRepresentative(): boolean {
    return this.committee.weights.has(bytesToHex(this.self.keyId))
  }

  get certifiedCount(): number {
    return this.entries.length
  }

  // --------------------------------------------------------------- votes

  /**
   * A vote for each item, or why not; the votes are signed as one batch (`signature`: over the
   * root of the statements of the items voted for, in order). The records must be durable before
   * the signature leaves.
   */
  vote(items: readonly { block: string; source?: { send: string; certificate: string }; previous?: EntryText }[]): { results: VoteResult[]; signature?: Uint8Array; records: StoredRecord[] } {
    const records: StoredRecord[] = []
    const statements: VoteStatement[] = []
    const results = items.map((item): VoteResult => {
      try {
        if (!this.isRepresentative) throw new BorgError('refused', `this node is not a representative of epoch ${this.epoch}`)
        if (item.previous) {
          const applied = this.confirm(item.previous)
          records.push(...applied.records)
        }
        const signed = decodeBlock(hexToBytes(item.block))
        const behind = this.gap(signed)
        if (behind) return { code: 'refused', error: `this representative has not seen this account's blocks from height ${behind.from} yet`, behind }
        const source = item.source ? this.decodeSource(item.source) : undefined
        const account = bytesToHex(signed.block.account)
        const frozenBefore = this.rep.frozen.has(account)
        try {
          const already = this.rep.votedAt(account, signed.block.height)
          statements.push(this.rep.vote(signed, this.epoch, source))
          if (!already) records.push({ type: 'vote', block: signed.bytes })
          return { voted: true }
        } catch (error) {
          const proof = this.rep.frozen.get(account)
          if (proof && !frozenBefore) records.push({ type: 'fork', blocks: [proof.blocks[0].bytes, proof.blocks[1].bytes] })
          throw error
        }
      } catch (error) {
        return refusal(error)
      }
    })
    if (statements.length === 0) return { results, records }
    const votes = signVotes(statements, this.self)
    // Kept until the block is applied: its certificate then carries this vote, known without hashing its path.
    votes.forEach((vote, i) => this.keepOwnVote(statements[i]!, vote))
    return { results, signature: votes[0]!.signature, records }
  }

  private keepOwnVote(statement: VoteStatement, vote: Vote): void {
    const slot = slotOf(statement)
    this.ownVotes.delete(slot)
    if (this.ownVotes.size >= MAX_OWN_VOTES) this.ownVotes.delete(this.ownVotes.keys().next().value!)
    this.ownVotes.set(slot, { statement, vote })
  }

  /** Whether `vote` is the one this representative gave for `statement` (same block, same epoch), byte for byte. */
  private isOwnVote(statement: VoteStatement, vote: Vote): boolean {
    const own = this.ownVotes.get(slotOf(statement))
    if (!own || own.statement.epoch !== statement.epoch || !equalBytes(own.statement.block, statement.block) || !equalBytes(own.statement.network, statement.network)) return false
    const mine = own.vote
    return (
      mine.size === vote.size &&
      mine.index === vote.index &&
      mine.path.length === vote.path.length &&
      equalBytes(mine.signature, vote.signature) &&
      equalBytes(mine.representative, vote.representative) &&
      mine.path.every((hash, i) => equalBytes(hash, vote.path[i]!))
    )
  }

  // ----------------------------------------------------------- certified

  /** Apply a certified block (checked: certificate, then the representative's rules); 'known' when applied already. */
  confirm(text: EntryText): { outcome: ConfirmOutcome; records: StoredRecord[] } {
    const bytes = hexToBytes(text.block)
    // Known already: answered without checking the owner's signature again (the id is the hash of the signed part).
    const idHex = bytes.length > SIGNATURE_BYTES ? bytesToHex(sha256(bytes.subarray(0, bytes.length - SIGNATURE_BYTES))) : ''
    if (this.byId.has(idHex)) return { outcome: 'known', records: [] }
    // The block this representative voted for, byte for byte, was decoded and checked then.
    const pending = this.rep.pendingBlock(idHex)
    const signed = pending && equalBytes(pending.bytes, bytes) ? pending : decodeBlock(bytes)
    const certificateBytes = hexToBytes(text.certificate)
    const certificate = decodeCertificate(certificateBytes)
    const conflict = this.offenceAgainst(signed, certificate, certificateBytes)
    if (conflict) return conflict
    const source = text.source ? this.decodeSource(text.source) : undefined
    this.rep.apply(signed, certificate, source, (vote) => this.isOwnVote(certificate, vote))
    this.ownVotes.delete(slotOf(certificate))
    // The decoders accept one encoding only, so the texts received are the canonical ones.
    const entry: Entry = { signed, text: text.source ? { block: text.block, certificate: text.certificate, source: { send: text.source.send, certificate: text.source.certificate } } : { block: text.block, certificate: text.certificate } }
    this.entries.push(entry)
    this.index(entry)
    return {
      outcome: 'applied',
      records: [{ type: 'certified', block: signed.bytes, certificate: certificateBytes, ...(source ? { source: { send: source.send.bytes, certificate: hexToBytes(text.source!.certificate) } } : {}) }],
    }
  }

  /** Where this node's view of `signed`'s chain ends below it, if it does. */
  gap(signed: SignedBlock): Gap | undefined {
    const account = bytesToHex(signed.block.account)
    const state = this.rep.ledger.accounts.get(account)
    const next = state ? state.height + 1n : 0n
    return signed.block.height > next ? { account, from: next } : undefined
  }

  /** The gap below a certified block this node cannot apply yet, if that is why. */
  gapBelow(text: EntryText): Gap | undefined {
    try {
      return this.gap(decodeBlock(hexToBytes(text.block), () => true))
    } catch {
      return undefined
    }
  }

  /**
   * A valid certificate for another block at a place of a chain where this node applied one: more
   * than 1/3 of the weight voted twice. Every representative whose votes are in both certificates
   * broke its promise; the pair is the proof anyone can check (checkEquivocation). Kept, counted,
   * served (`ledger.offences`); the block is not applied.
   */
  private offenceAgainst(signed: SignedBlock, certificate: Certificate, certificateBytes: Uint8Array): { outcome: ConfirmOutcome; records: StoredRecord[] } | undefined {
    const account = bytesToHex(signed.block.account)
    const applied = this.chains.get(account)?.[Number(signed.block.height)]
    if (!applied || applied.text.certificate === '' || equalBytes(applied.signed.id, signed.id)) return undefined
    const committee = this.committees.get(certificate.epoch)
    if (!committee || !equalBytes(certificate.block, signed.id)) return undefined
    checkCertificate(certificate, committee, this.network)
    const other = decodeCertificate(hexToBytes(applied.text.certificate))
    const culprits: string[] = []
    for (const vote of certificate.votes) {
      const twin = other.votes.find((v) => equalBytes(v.representative, vote.representative))
      if (!twin) continue
      try {
        culprits.push(checkEquivocation({ statement: certificate, vote }, { statement: other, vote: twin }))
      } catch {
        // not a proof (a bad signature): nothing to hold against that representative
      }
    }
    if (culprits.length === 0) throw new BorgError('refused', `another block is certified at height ${signed.block.height} of this account`)
    this.recordOffence({ culprits, a: hexToBytes(applied.text.certificate), b: certificateBytes })
    return { outcome: 'known', records: [{ type: 'offence', certificates: [hexToBytes(applied.text.certificate), certificateBytes] }] }
  }

  private recordOffence(offence: Offence): void {
    this.offences.push(offence)
    if (this.offences.length > MAX_OFFENCES) this.offences.shift()
    this.offenceCount++
  }

  /** Representatives caught voting twice, with the two certificates that prove it (the latest MAX_OFFENCES). */
  offencesKnown(): readonly Offence[] {
    return this.offences
  }

  /** Rebuild from this node's own log (its records were checked when written). */
  replay(record: StoredRecord): void {
    switch (record.type) {
      case 'vote':
        this.rep.remember(decodeBlock(record.block))
        return
      case 'fork': {
        const [a, b] = record.blocks.map((bytes) => decodeBlock(bytes)) as [SignedBlock, SignedBlock]
        const account = bytesToHex(a.block.account)
        this.rep.frozen.set(account, { account, height: a.block.height, blocks: [a, b] })
        return
      }
      case 'offence': {
        const [a, b] = record.certificates.map((c) => decodeCertificate(c))
        const culprits = a!.votes.filter((v) => b!.votes.some((w) => equalBytes(v.representative, w.representative))).map((v) => bytesToHex(v.representative))
        this.recordOffence({ culprits, a: record.certificates[0], b: record.certificates[1] })
        return
      }
      case 'epoch': {
        const certificate = decodeEpochCertificate(record.certificate)
        if (certificate.committee.epoch === this.epoch + 1n) this.takeEpoch(certificate.committee, record.certificate)
        return
      }
      case 'epoch-vote': {
        const { committee } = decodeEpochStatement(record.statement)
        this.epochVotes.set(committee.epoch, bytesToHex(record.statement))
        return
      }
      case 'certified': {
        const signed = decodeBlock(record.block)
        if (this.byId.has(bytesToHex(signed.id))) return
        const certificate = decodeCertificate(record.certificate)
        const source = record.source ? { send: decodeBlock(record.source.send), certificate: decodeCertificate(record.source.certificate) } : undefined
        this.rep.replay(signed, source)
        const entry: Entry = { signed, text: normalised(signed, certificate, source) }
        this.entries.push(entry)
        this.index(entry)
      }
    }
  }

  private decodeSource(text: { send: string; certificate: string }): Source {
    return { send: decodeBlock(hexToBytes(text.send)), certificate: decodeCertificate(hexToBytes(text.certificate)) }
  }

  private index(entry: Entry): void {
    const b = entry.signed.block
    const account = bytesToHex(b.account)
    const id = bytesToHex(entry.signed.id)
    this.byId.set(id, entry)
    let chain = this.chains.get(account)
    if (!chain) {
      chain = []
      this.chains.set(account, chain)
      this.accountOfAddress.set(bytesToHex(this.rep.ledger.addressOf(b.account)), account)
    }
    chain[Number(b.height)] = entry
    if (b.op === 'send') {
      // Not receivable if its receive was applied first (a node catching up).
      if (!this.rep.ledger.sends.get(id)?.receivedBy) {
        const to = bytesToHex(b.destination)
        let set = this.receivable.get(to)
        if (!set) this.receivable.set(to, (set = new Set()))
        set.add(id)
      }
    } else if ((b.op === 'receive' || b.op === 'open') && entry !== this.genesisEntry) {
      this.receivable.get(bytesToHex(this.rep.ledger.addressOf(b.account)))?.delete(bytesToHex(b.source))
    }
  }

  // ------------------------------------------------------------- queries

  /** An account by key id or by address bytes (version + HASH160). */
  account(query: { account?: Uint8Array; address?: Uint8Array }, addressText: (address: Uint8Array) => string): AccountReply {
    const addressBytes = query.account ? this.rep.ledger.addressOf(query.account) : query.address
    if (!addressBytes) throw new BorgError('invalid-input', 'name an account or an address')
    const addressHex = bytesToHex(addressBytes)
    const account = query.account ? bytesToHex(query.account) : this.accountOfAddress.get(addressHex)
    const state = account ? this.rep.ledger.accounts.get(account) : undefined
    const receivable = [...(this.receivable.get(addressHex) ?? [])].slice(0, MAX_RECEIVABLE).map((id) => {
      const entry = this.byId.get(id)!
      return { send: entry.text.block, certificate: entry.text.certificate }
    })
    const reply: AccountReply = { address: addressText(addressBytes), balance: (state?.balance ?? 0n).toString(), frozen: account ? this.rep.frozen.has(account) : false, receivable }
    if (account) reply.account = account
    if (account && state) {
      const head = this.chains.get(account)![Number(state.height)]!
      reply.head = textOf(head)
      reply.representative = bytesToHex(state.representative)
      const proposal = this.rep.votedAt(account, state.height + 1n)
      if (proposal) reply.proposal = bytesToHex(proposal.bytes)
    } else if (account) {
      const proposal = this.rep.votedAt(account, 0n)
      if (proposal) reply.proposal = bytesToHex(proposal.bytes)
    }
    return reply
  }

  /** An account's certified blocks from height `from`. */
  history(account: string, from: bigint, limit = MAX_ENTRIES): ChainEntryText[] {
    const chain = this.chains.get(account) ?? []
    const out: ChainEntryText[] = []
    for (let h = Number(from); h < chain.length && out.length < Math.min(limit, MAX_ENTRIES); h++) {
      const entry = chain[h]
      if (!entry) break
      out.push(textOf(entry))
    }
    return out
  }

  /** Certified blocks in the order this node applied them, from position `cursor`. */
  since(cursor: number, limit = MAX_ENTRIES): { entries: EntryText[]; next: number; total: number } {
    const end = Math.min(this.entries.length, cursor + Math.min(limit, MAX_ENTRIES))
    return { entries: this.entries.slice(cursor, end).map((e) => e.text), next: Math.max(end, cursor), total: this.entries.length }
  }

  has(blockId: Uint8Array): boolean {
    return this.byId.has(bytesToHex(blockId))
  }

  /** Whether `signed` is this network's genesis block. */
  isGenesis(signed: SignedBlock): boolean {
    return equalBytes(signed.id, this.genesisEntry.signed.id)
  }
}

function normalised(signed: SignedBlock, certificate: Certificate, source: Source | undefined): EntryText {
  const text: EntryText = { block: bytesToHex(signed.bytes), certificate: bytesToHex(encodeCertificate(certificate)) }
  if (source) text.source = { send: bytesToHex(source.send.bytes), certificate: bytesToHex(encodeCertificate(source.certificate)) }
  return text
}

/** The genesis block travels without a certificate (the genesis file is its proof). */
function textOf(entry: Entry): ChainEntryText {
  return entry.text.certificate === '' ? { block: entry.text.block } : entry.text
}

function refusal(error: unknown): { code: string; error: string } {
  if (error instanceof BorgError) return { code: error.code, error: error.message }
  return { code: 'internal', error: (error as Error).message }
}
