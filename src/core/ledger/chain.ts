/**
 * The owner's side of an account chain (what `borg wallet` builds on): from
 * the account's certified head, the next block for a send, a receive or a
 * delegation, with the balance worked out and checked here, so a wallet never
 * signs a block a representative must refuse. At most one block is built on
 * a head: the next waits for its certificate (docs/ledger.md).
 */
import { BorgError } from '../errors.js'
import { parseAddress, type Network } from '../identity/address.js'
import { formatShells } from './amount.js'
import { signBlock, type SignedBlock, type UnsignedBlock } from './block.js'
import type { Spending } from './spending-key.js'

export interface Head {
  height: bigint
  id: Uint8Array
  balance: bigint
  representative: Uint8Array
}

export interface ChainContext {
  network: Uint8Array
  addressNetwork: Network
  /** The account's key (its identity). */
  signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }
  /** When set, blocks are signed by this spending key, carrying the identity's authorization (spending-key.ts). */
  spending?: { signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }; authorized: Spending }
  now: () => number
}

/** Sign `block` as the context says: by the spending key (naming it) or by the account's key. */
function sign(ctx: ChainContext, block: UnsignedBlock): SignedBlock {
  return ctx.spending ? signBlock({ ...block, spending: ctx.spending.authorized }, ctx.spending.signer) : signBlock(block, ctx.signer)
}

/** Where the next block goes: height and predecessor after `head` (an account with no head opens). */
function next(head: Head | undefined): { height: bigint; previous: Uint8Array } {
  return head ? { height: head.height + 1n, previous: head.id } : { height: 0n, previous: new Uint8Array(32) }
}

export function buildSend(ctx: ChainContext, head: Head | undefined, to: string, amount: bigint, memo = ''): SignedBlock {
  if (!head) throw new BorgError('not-found', 'this account has no Shells yet (nothing received)')
  if (amount <= 0n) throw new BorgError('invalid-input', 'send at least 0.000000001 Shells')
  if (amount > head.balance) throw new BorgError('refused', `insufficient balance: sending ${formatShells(amount)} Shells, the account has ${formatShells(head.balance)}`)
  const destination = parseAddress(to, ctx.addressNetwork)
  return sign(
    ctx,
    {
      network: ctx.network,
      account: ctx.signer.keyId,
      ...next(head),
      balance: head.balance - amount,
      representative: head.representative,
      timestamp: ctx.now(),
      op: 'send',
      destination: Uint8Array.of(destination.network.p2pkh, ...destination.hash160),
      amount,
      memo,
    },
  )
}

/** Receive a certified send (`sendId`, `amount`); the first receive opens the account, delegating to `representative`. */
export function buildReceive(ctx: ChainContext, head: Head | undefined, sendId: Uint8Array, amount: bigint, representative: Uint8Array): SignedBlock {
  return sign(
    ctx,
    {
      network: ctx.network,
      account: ctx.signer.keyId,
      ...next(head),
      balance: (head?.balance ?? 0n) + amount,
      representative: head?.representative ?? representative,
      timestamp: ctx.now(),
      op: head ? 'receive' : 'open',
      source: sendId,
      amount,
    },
  )
}

export function buildDelegate(ctx: ChainContext, head: Head | undefined, representative: Uint8Array): SignedBlock {
  if (!head) throw new BorgError('not-found', 'an account delegates once it exists (after its first receive)')
  return sign(ctx, { network: ctx.network, account: ctx.signer.keyId, ...next(head), balance: head.balance, representative, timestamp: ctx.now(), op: 'delegate' })
}
