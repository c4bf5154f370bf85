/**
 * Prints the worked example of docs/protocol.md §11 (ledger blocks): run with
 * `npx tsx scripts/ledger-example.ts`. Deterministic: the identity of §2.6 (the
 * BIP39 test mnemonic, RFC 6979 signatures) sends 12.5 Shells from height 3 of
 * its chain, delegating to the node of §2.6; fixed hashes and time.
 * test/docs/protocol.test.ts checks the document against it.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { parseAddress, p2pkhAddress } from '../src/core/identity/address.js'
import { parseShells } from '../src/core/ledger/amount.js'
import { encodeUnsigned, signBlock, type UnsignedBlock } from '../src/core/ledger/block.js'
import { encodeStatement, signVote } from '../src/core/ledger/certificate.js'
import { buildExamples } from './protocol-example.js'

export const EXAMPLE_DESTINATION = 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L'

export async function buildLedgerExample() {
  const { identity, node } = await buildExamples()
  const to = parseAddress(EXAMPLE_DESTINATION)
  const block: UnsignedBlock = {
    network: sha256(new TextEncoder().encode('borg ledger example network')),
    account: identity.keyId,
    height: 3n,
    previous: sha256(new TextEncoder().encode('borg ledger example: block 2')),
    balance: parseShells('87.5'),
    representative: node.keyId,
    timestamp: 1_700_000_000_000,
    op: 'send',
    destination: Uint8Array.of(to.network.p2pkh, ...to.hash160),
    amount: parseShells('12.5'),
    memo: 'rent',
  }
  const signed = signBlock(block, identity)
  // The node of §2.6, a representative, votes for it in epoch 7.
  const statement = { network: block.network, epoch: 7n, account: block.account, height: block.height, block: signed.id }
  const vote = signVote(statement, node)
  return { block, signed, unsigned: encodeUnsigned(block), account: p2pkhAddress(identity.publicKey), statement: encodeStatement(statement), vote, node }
}

const wrap = (hex: string) => hex.match(/.{1,64}/g)!.join('\n')

/** The block docs/protocol.md carries, verbatim. */
export async function ledgerExampleMarkdown(): Promise<string> {
  const e = await buildLedgerExample()
  const b = e.block
  return [
    '```',
    `account (identity of 2.6)   ${bytesToHex(b.account)}  = ${e.account}`,
    `network (genesis hash)      ${bytesToHex(b.network)}`,
    `height, previous            3, ${bytesToHex(b.previous)}`,
    `balance after               87.5 Shells = 87500000000 base units`,
    `representative (node, 2.6)  ${bytesToHex(b.representative)}`,
    `send                        12.5 Shells = 12500000000 base units to ${EXAMPLE_DESTINATION}, memo "rent"`,
    `signed part SHA-256 = id    ${bytesToHex(e.signed.id)}  (${e.unsigned.length} bytes)`,
    `signature                   ${bytesToHex(e.signed.block.signature)}`,
    '```',
    '',
    '<!-- example-ledger-send -->',
    '```',
    wrap(bytesToHex(e.signed.bytes)),
    '```',
    '',
    `The node of 2.6 (a representative) votes for it in epoch 7: the statement (§11.1, ${e.statement.length} bytes) and its Ed25519 signature:`,
    '',
    '<!-- example-ledger-vote -->',
    '```',
    wrap(bytesToHex(e.statement)),
    '```',
    '',
    '```',
    `representative  ${bytesToHex(e.vote.representative)}`,
    `signature       ${bytesToHex(e.vote.signature)}`,
    '```',
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await ledgerExampleMarkdown())
