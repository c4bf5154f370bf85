/**
 * The owner's side of one account (what `borg wallet` runs): before anything
 * else it settles the account — finishes a block of its own that some
 * representative voted for but that never got its certificate (a wallet
 * killed mid-send), then receives every certified send addressed to it —
 * and only then builds the next block on the certified head. One block at a
 * time: the next waits for the previous one's certificate (docs/ledger.md).
 */
import { BorgError } from '../core/errors.js'
import { bytesToHex, parseHex } from '../core/bytes.js'
import { regtestNetwork } from '../core/identity/address.js'
import { isValidKeyId } from '../core/crypto/key-id.js'
import type { SignedBlock } from '../core/ledger/block.js'
import { buildDelegate, buildReceive, buildSend, type ChainContext, type Head } from '../core/ledger/chain.js'
import type { Certificate } from '../core/ledger/certificate.js'
import type { Source } from '../core/ledger/representative.js'
import { authorize, type Spending } from '../core/ledger/spending-key.js'
import type { AccountView, CertifiedBlock, LedgerClient } from './ledger-client.js'
import { MAX_RECEIVABLE } from '../cells/ledger/messages.js'

export interface Signer {
  keyId: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

export interface Finished {
  id: string
  height: bigint
  op: string
  amount?: bigint
  /** From the first vote request to the certificate, ms. */
  certifiedMs: number
}

export interface Settled {
  view: AccountView
  /** Blocks of this account finished or received while settling. */
  finished: Finished[]
}

export class Wallet {
  /** The account's last certified block (with its certificate): what the next block is built on. */
  private last?: CertifiedBlock

  private readonly now: () => number
  /** Signs this account's blocks when set (an identity's Ed25519 spending key, spending-key.ts); else the identity key does. */
  private readonly spending?: Signer
  private authorized?: { network: string; spending: Spending }

  constructor(
    private readonly client: LedgerClient,
    private readonly signer: Signer,
    options: { now?: () => number; spending?: Signer } = {},
  ) {
    this.now = options.now ?? Date.now
    this.spending = options.spending
  }

  get account(): string {
    return bytesToHex(this.signer.keyId)
  }

  /** Finish a pending block of this account, receive everything receivable; the account as it then stands. */
  async settle(options: { receive?: boolean } = {}): Promise<Settled> {
    const finished: Finished[] = []
    let view = await this.client.account({ account: this.account })
    this.noteHead(view)
    for (let round = 0; round < 1000; round++) {
      if (view.frozen) throw new BorgError('refused', 'this account is frozen: its key signed two blocks at one height (a fork proof); representatives refuse all its blocks')
      if (view.proposals.length > 1) throw new BorgError('refused', `representatives hold ${view.proposals.length} different blocks of this account at height ${view.proposals[0]!.block.height}: it is forked and cannot go on`)
      const pending = view.proposals[0]
      if (pending) {
        const b = pending.block
        const source = b.op === 'receive' || b.op === 'open' ? view.receivable.find((r) => bytesToHex(r.send.id) === bytesToHex(b.source)) : undefined
        finished.push(await this.drive(pending, source))
      } else if (options.receive !== false && view.receivable.length > 0) {
        for (const source of view.receivable) finished.push(await this.receive(source))
        // All of them received: the account stands where this wallet took it (a full page may have more).
        if (view.receivable.length < MAX_RECEIVABLE) return { view: { ...view, head: this.lastHead(), balance: this.head!.balance, representative: bytesToHex(this.head!.representative), receivable: [], proposals: [] }, finished }
      } else {
        return { view, finished }
      }
      view = await this.client.account({ account: this.account })
      this.noteHead(view)
    }
    throw new BorgError('internal', 'the account did not settle after 1000 rounds')
  }

  /** Send `amount` base units to `to` (an address). `wait: false`: return once certified and applied by one representative, not by a quorum. */
  async send(to: string, amount: bigint, memo = '', options: { wait?: boolean } = {}): Promise<Finished & { balance: bigint }> {
    await this.settle()
    const ctx = await this.context()
    const signed = buildSend(ctx, this.head, to, amount, memo)
    const done = await this.drive(signed, undefined, options.wait !== false)
    return { ...done, balance: signed.block.balance }
  }

  /**
   * The next send, signed but not submitted. Its id is its message id: `submit` may be retried with it
   * through another entry (another Wallet on another node), and the network makes it one send.
   */
  async prepareSend(to: string, amount: bigint, memo = ''): Promise<SignedBlock> {
    await this.settle()
    return buildSend(await this.context(), this.head, to, amount, memo)
  }

  /**
   * Certify and apply a block this account prepared (here or in another Wallet): done at once when it
   * is already the certified head, finished when a representative already holds it, driven otherwise.
   * Refused when another block of this account took its height (then it never happens).
   */
  async submit(signed: SignedBlock, options: { wait?: boolean } = {}): Promise<Finished & { balance: bigint }> {
    const id = bytesToHex(signed.id)
    const b = signed.block
    const view = await this.client.account({ account: this.account })
    this.noteHead(view)
    const done = { id, height: b.height, op: b.op, amount: 'amount' in b ? b.amount : undefined, balance: b.balance }
    const head = view.head?.signed
    if (head && bytesToHex(head.id) === id) return { ...done, certifiedMs: 0 }
    if (head && head.block.height >= b.height) throw new BorgError('refused', `another block of this account holds height ${b.height}: block ${id.slice(0, 16)}… was not applied`)
    const held = view.proposals.find((p) => bytesToHex(p.id) === id)
    if (view.proposals.length > 0 && !held) throw new BorgError('refused', `representatives hold another block of this account at height ${b.height}: block ${id.slice(0, 16)}… was not applied`)
    return { ...(await this.drive(signed, undefined, options.wait !== false)), balance: b.balance }
  }

  /** Delegate this account's weight to representative `keyIdHex` (a node id). */
  async delegate(keyIdHex: string, options: { wait?: boolean } = {}): Promise<Finished> {
    let representative: Uint8Array
    try {
      representative = parseHex(keyIdHex.trim().toLowerCase())
    } catch {
      throw new BorgError('usage', `${keyIdHex} is not a node id (hex, as \`borg node status\` prints it)`)
    }
    if (!isValidKeyId(representative)) throw new BorgError('usage', `${keyIdHex} is not a valid key id`)
    await this.settle()
    const signed = buildDelegate(await this.context(), this.head, representative)
    return this.drive(signed, undefined, options.wait !== false)
  }

  private async receive(source: Source): Promise<Finished> {
    const view = await this.client.network()
    const head = this.head
    // A new account delegates to a representative of the committee picked by its key, so new weight spreads.
    const reps = [...view.committee.weights.keys()].sort()
    const pick = reps[this.signer.keyId[this.signer.keyId.length - 1]! % reps.length]!
    const signed = buildReceive(await this.context(), head, source.send.id, source.send.block.op === 'send' ? source.send.block.amount : 0n, parseHex(pick))
    return this.drive(signed, source)
  }

  /** Certify `signed` and hand the certificate to the representatives; it becomes this account's head. */
  private async drive(signed: SignedBlock, source?: Source, wait = true): Promise<Finished> {
    const started = performance.now()
    // Votes are checked as they arrive (one signature per representative's batch), so the certificate holds.
    const certificate: Certificate = await this.client.certify(signed, { source, previous: this.last })
    const certifiedMs = performance.now() - started
    const entry: CertifiedBlock = { signed, certificate, ...(source ? { source } : {}) }
    // Without waiting: one representative holds it, the rest catch up from it within seconds.
    await this.client.confirm(entry, { one: !wait })
    this.last = entry
    this.head = headOfBlock(signed)
    const b = signed.block
    return { id: bytesToHex(signed.id), height: b.height, op: b.op, amount: 'amount' in b ? b.amount : undefined, certifiedMs }
  }

  /** The representatives' view replaces this wallet's unless this wallet knows a later certified block. */
  private noteHead(view: AccountView): void {
    if (!view.head) return
    if (this.head && this.head.height > view.head.signed.block.height) return
    this.head = headOfBlock(view.head.signed)
    // The genesis block has no certificate: nothing to hand a lagging representative.
    this.last = view.head.certificate ? { signed: view.head.signed, certificate: view.head.certificate } : undefined
  }

  private lastHead(): AccountView['head'] {
    return this.last ? { signed: this.last.signed, certificate: this.last.certificate } : undefined
  }

  /** The account's certified head as this wallet knows it. */
  private head?: Head

  private async context(): Promise<ChainContext> {
    const view = await this.client.network()
    const ctx: ChainContext = { network: view.network, addressNetwork: regtestNetwork({ p2pkh: view.addressVersion }), signer: this.signer, now: this.now }
    if (!this.spending) return ctx
    // The identity signs the authorization once per network (one secp256k1 signature), the spending key every block.
    const network = bytesToHex(view.network)
    if (this.authorized?.network !== network) this.authorized = { network, spending: authorize(this.signer, view.network, this.spending) }
    return { ...ctx, spending: { signer: this.spending, authorized: this.authorized.spending } }
  }
}

function headOfBlock(signed: SignedBlock): Head {
  return { height: signed.block.height, id: signed.id, balance: signed.block.balance, representative: signed.block.representative }
}
