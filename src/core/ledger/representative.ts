/**
 * What a representative promises (docs/ledger.md): it votes for a block only if
 * the block is the next one of its account's certified chain (height and
 * predecessor), the balance follows from the chain (a send moves what the
 * account has, a receive adds what a certified send gave it, once), and it has
 * voted for no other block at that (account, height). Votes are for the
 * current epoch only. Two owner-signed blocks at one (account, height) are a
 * fork proof: the account is frozen, here, for good.
 *
 * Sans-I/O: the caller hands in decoded (signature-checked) blocks and
 * certificates, and gets votes or refusals; `apply` moves the certified state
 * on. Nothing here knows about the network.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, equalBytes } from '../bytes.js'
import { hash160 } from '../crypto/hash.js'
import { TOTAL_SUPPLY } from './amount.js'
import type { SignedBlock } from './block.js'
import { checkCertificate, type Certificate, type Committee, type Vote, type VoteStatement } from './certificate.js'

export interface LedgerParams {
  /** The genesis hash: the `network` of every block. */
  network: Uint8Array
  /** The version byte of this network's addresses (Dogecoin mainnet: 0x1e). */
  addressVersion: number
}

export interface AccountState {
  height: bigint
  head: Uint8Array
  balance: bigint
  representative: Uint8Array
}

export interface CertifiedSend {
  destination: Uint8Array
  amount: bigint
  /** Id of the receive that took it, once certified. */
  receivedBy?: string
}

/** A receive or open names its source: the send block and its certificate. */
export interface Source {
  send: SignedBlock
  certificate: Certificate
}

export interface ForkProof {
  account: string
  height: bigint
  blocks: [SignedBlock, SignedBlock]
}

const ZERO = new Uint8Array(32)

export class LedgerState {
  readonly accounts = new Map<string, AccountState>()
  readonly sends = new Map<string, CertifiedSend>()

  constructor(readonly params: LedgerParams) {}

  /** The genesis block: the treasury opened with the whole supply (trusted: the network pins its hash). */
  openTreasury(genesis: SignedBlock): void {
    const b = genesis.block
    if (this.accounts.size > 0) throw new BorgError('exists', 'the ledger is opened already')
    if (b.op !== 'open' || !equalBytes(b.source, ZERO) || b.amount !== TOTAL_SUPPLY || b.balance !== TOTAL_SUPPLY) {
      throw new BorgError('malformed', 'a genesis block opens the treasury with the whole supply from no source')
    }
    if (!equalBytes(b.network, this.params.network)) throw new BorgError('refused', 'genesis block of another network')
    this.accounts.set(bytesToHex(b.account), { height: 0n, head: genesis.id, balance: b.balance, representative: b.representative })
  }

  /** The address bytes (version + HASH160) of an account key id. */
  addressOf(account: Uint8Array): Uint8Array {
    return Uint8Array.of(this.params.addressVersion, ...hash160(account.subarray(1)))
  }

  /** Why `signed` cannot follow its account's certified chain, or undefined: it can. */
  check(signed: SignedBlock, source: Source | undefined, committeeOf: (epoch: bigint) => Committee | undefined): void {
    const b = signed.block
    const account = bytesToHex(b.account)
    if (!equalBytes(b.network, this.params.network)) throw new BorgError('refused', 'block of another network')
    const state = this.accounts.get(account)
    const expected = state ? state.height + 1n : 0n
    if (b.height !== expected) throw new BorgError('refused', `wrong height ${b.height}: the account's certified chain ends at ${state ? state.height : 'nothing'} (expected ${expected})`)
    if (!equalBytes(b.previous, state?.head ?? ZERO)) throw new BorgError('refused', `wrong predecessor: the account's certified head is ${state ? bytesToHex(state.head).slice(0, 16) : 'none'}…`)
    const had = state?.balance ?? 0n
    switch (b.op) {
      case 'send':
        if (b.amount > had) throw new BorgError('refused', `insufficient balance: sending ${b.amount} base units, the account has ${had}`)
        if (b.balance !== had - b.amount) throw new BorgError('refused', `balance ${b.balance} does not follow: ${had} − ${b.amount} = ${had - b.amount}`)
        return
      case 'delegate':
        if (b.balance !== had) throw new BorgError('refused', `a delegation keeps the balance (${had}), not ${b.balance}`)
        return
      case 'open':
      case 'receive': {
        if (!source) throw new BorgError('refused', 'a receive needs the send it receives and that send’s certificate')
        const { send, certificate } = source
        const committee = committeeOf(certificate.epoch)
        if (!committee) throw new BorgError('refused', `no committee known for epoch ${certificate.epoch}`)
        checkCertificate(certificate, committee, this.params.network)
        if (!equalBytes(certificate.block, send.id) || !equalBytes(certificate.account, send.block.account) || certificate.height !== send.block.height) {
          throw new BorgError('refused', 'the certificate is for another block than the send given')
        }
        if (send.block.op !== 'send') throw new BorgError('refused', 'the source is not a send')
        if (!equalBytes(b.source, send.id)) throw new BorgError('refused', 'the receive names another send')
        if (!equalBytes(send.block.destination, this.addressOf(b.account))) throw new BorgError('refused', 'the send is addressed to another account')
        if (b.amount !== send.block.amount) throw new BorgError('refused', `the send gave ${send.block.amount} base units, the receive claims ${b.amount}`)
        const known = this.sends.get(bytesToHex(send.id))
        if (known?.receivedBy) throw new BorgError('refused', `that send was received already (by ${known.receivedBy.slice(0, 16)}…)`)
        if (b.balance !== had + b.amount) throw new BorgError('refused', `balance ${b.balance} does not follow: ${had} + ${b.amount} = ${had + b.amount}`)
        return
      }
    }
  }

  /** Move the state on by a certified block (the caller checked the certificate). */
  apply(signed: SignedBlock, source: Source | undefined): void {
    const b = signed.block
    this.accounts.set(bytesToHex(b.account), { height: b.height, head: signed.id, balance: b.balance, representative: b.representative })
    if (b.op === 'send') {
      // Its receive may have been applied first (a lagging node catching up): keep what took it.
      const key = bytesToHex(signed.id)
      this.sends.set(key, { destination: b.destination, amount: b.amount, receivedBy: this.sends.get(key)?.receivedBy })
    }
    if ((b.op === 'receive' || b.op === 'open') && source) {
      const key = bytesToHex(source.send.id)
      const sent = source.send.block
      if (sent.op !== 'send') throw new BorgError('refused', 'the source is not a send')
      const known = this.sends.get(key) ?? { destination: sent.destination, amount: sent.amount }
      this.sends.set(key, { ...known, receivedBy: bytesToHex(signed.id) })
    }
  }

  /** Balances plus certified sends not yet received: always the whole supply. */
  supply(): bigint {
    let total = 0n
    for (const a of this.accounts.values()) total += a.balance
    for (const s of this.sends.values()) if (!s.receivedBy) total += s.amount
    return total
  }
}

export class Representative {
  readonly ledger: LedgerState
  /** `account:height` → the id of the block this representative voted for there. */
  private readonly votedFor = new Map<string, string>()
  /** The blocks in `proposals` whose signatures this process checked (not those read back from the log), by id hex. */
  private readonly pending = new Map<string, SignedBlock>()
  /** The first owner-signed block seen at each `account:height` not yet certified (fork detection). */
  private readonly proposals = new Map<string, SignedBlock>()
  readonly frozen = new Map<string, ForkProof>()

  constructor(
    params: LedgerParams,
    private readonly epochs: { current(): bigint; committee(epoch: bigint): Committee | undefined },
  ) {
    this.ledger = new LedgerState(params)
  }

  /**
   * Vote for `signed` in `epoch`: the statement to sign (the caller signs a batch of them, see
   * signVotes), or throw why not (`refused`, `bad-signature`, `exists`). The promise is made here:
   * the caller makes it durable before the signature leaves.
   */
  vote(signed: SignedBlock, epoch: bigint, source?: Source): VoteStatement {
    const b = signed.block
    const account = bytesToHex(b.account)
    const current = this.epochs.current()
    if (epoch !== current) throw new BorgError('refused', `votes are for epoch ${current}, not ${epoch}`)
    const frozen = this.frozen.get(account)
    if (frozen) throw new BorgError('refused', `account ${account.slice(0, 16)}… is frozen: its owner signed two blocks at height ${frozen.height}`)
    const slot = `${account}:${b.height}`
    const id = bytesToHex(signed.id)
    const proposed = this.proposals.get(slot)
    if (proposed && bytesToHex(proposed.id) !== id) {
      // The same key signed two blocks for one place in its chain: neither goes through.
      this.frozen.set(account, { account, height: b.height, blocks: [proposed, signed] })
      throw new BorgError('refused', `fork: the owner signed two blocks at height ${b.height}; the account is frozen`)
    }
    const voted = this.votedFor.get(slot)
    if (voted !== undefined && voted !== id) throw new BorgError('refused', `this representative voted for another block at height ${b.height}`)
    this.ledger.check(signed, source, (e) => this.epochs.committee(e))
    this.proposals.set(slot, signed)
    this.pending.set(id, signed)
    this.votedFor.set(slot, id)
    return { network: this.ledger.params.network, epoch, account: b.account, height: b.height, block: signed.id }
  }

  /** A vote read back from this representative's own log at start (it keeps its promise across restarts). */
  remember(signed: SignedBlock): void {
    const slot = `${bytesToHex(signed.block.account)}:${signed.block.height}`
    this.proposals.set(slot, signed)
    this.votedFor.set(slot, bytesToHex(signed.id))
  }

  /** The block with this id (hex) this representative voted for and has not applied yet (its signature was checked then). */
  pendingBlock(id: string): SignedBlock | undefined {
    return this.pending.get(id)
  }

  /** The block this representative voted for at (account, height), if any. */
  votedAt(account: string, height: bigint): SignedBlock | undefined {
    return this.proposals.get(`${account}:${height}`)
  }

  /** A certified block read back from this node's own log (checked when it was first applied). */
  replay(signed: SignedBlock, source?: Source): void {
    this.ledger.apply(signed, source)
    const slot = `${bytesToHex(signed.block.account)}:${signed.block.height}`
    this.proposals.delete(slot)
    this.votedFor.delete(slot)
  }

  /**
   * A certified block: checked against its committee, then applied (its slot's proposal is settled).
   * `known`: votes the caller knows to be good without checking them (this representative's own).
   */
  apply(signed: SignedBlock, certificate: Certificate, source?: Source, known?: (vote: Vote) => boolean): void {
    const committee = this.epochs.committee(certificate.epoch)
    if (!committee) throw new BorgError('refused', `no committee known for epoch ${certificate.epoch}`)
    const slot = `${bytesToHex(signed.block.account)}:${signed.block.height}`
    if (!equalBytes(certificate.block, signed.id) || !equalBytes(certificate.account, signed.block.account) || certificate.height !== signed.block.height) {
      throw new BorgError('refused', 'the certificate is for another block')
    }
    checkCertificate(certificate, committee, this.ledger.params.network, known)
    this.ledger.check(signed, source, (e) => this.epochs.committee(e))
    this.ledger.apply(signed, source)
    this.proposals.delete(slot)
    this.pending.delete(bytesToHex(signed.id))
    // Below the certified head a vote is refused by height: the promise for this place needs no memory now.
    this.votedFor.delete(slot)
  }
}
