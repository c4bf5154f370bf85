/**
 * Prints the worked example of docs/protocol.md §11 (ledger blocks): run with
 * `npx tsx scripts/ledger-example.ts`. Deterministic: the identity of §2.6 (the
 * BIP39 test mnemonic, RFC 6979 signatures) sends 12.5 Shells from height 3 of
 * its chain, delegating to the node of §2.6; fixed hashes and time. Then the
 * same send signed by the identity's spending key, and the node's vote for it
 * in a batch of two.
 * test/docs/protocol.test.ts checks the document against it.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { parseAddress, p2pkhAddress } from '../src/core/identity/address.js'
import { parseShells } from '../src/core/ledger/amount.js'
import { encodeUnsigned, signBlock, type UnsignedBlock } from '../src/core/ledger/block.js'
import { batchMessage, encodeCertificate, encodeStatement, signVotes } from '../src/core/ledger/certificate.js'
import { authorize, authorizationMessage, spendingSignerOf } from '../src/core/ledger/spending-key.js'
import { buildExamples } from './protocol-example.js'

export const EXAMPLE_DESTINATION = 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L'

export async function buildLedgerExample() {
  const { identity, identityKey, node } = await buildExamples()
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
  // The wallet's way: the identity's spending key (HKDF of its secret) signs, carrying the identity's authorization.
  const spendingKey = spendingSignerOf(identityKey.secretKey)
  const spending = authorize(identity, block.network, spendingKey)
  const bySpendingKey = signBlock({ ...block, spending }, spendingKey)
  // The node of §2.6, a representative, votes for it in epoch 7, in one batch with a block at height 9 of another account.
  const statement = { network: block.network, epoch: 7n, account: block.account, height: block.height, block: bySpendingKey.id }
  const other = { network: block.network, epoch: 7n, account: node.keyId, height: 9n, block: sha256(new TextEncoder().encode('borg ledger example: another block')) }
  const [vote] = signVotes([statement, other], node)
  const leaf = sha256(Uint8Array.of(0), encodeStatement(statement))
  const root = sha256(Uint8Array.of(1), leaf, vote!.path[0]!)
  const certificateVote = encodeCertificate({ ...statement, votes: [vote!] }).subarray(encodeStatement(statement).length + 2)
  return {
    block,
    signed,
    unsigned: encodeUnsigned(block),
    account: p2pkhAddress(identity.publicKey),
    spendingKey,
    spending,
    authorizationMessage: authorizationMessage(block.network, identity.keyId, spendingKey.keyId),
    bySpendingKey,
    statement: encodeStatement(statement),
    leaf,
    root,
    batchMessage: batchMessage(2, root),
    vote: vote!,
    certificateVote,
    node,
  }
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
    `The same send as \`borg wallet\` signs it: by the identity's spending key (HKDF-SHA256 of the identity secret key, salt "borg ledger spending key", info "ed25519 v1", as the Ed25519 secret key), which the identity authorizes for this network once (RFC 6979 again):`,
    '',
    '```',
    `spending key                ${bytesToHex(e.spendingKey.keyId)}`,
    `authorization message      ${bytesToHex(e.authorizationMessage)}`,
    `authorization              ${bytesToHex(e.spending.authorization)}`,
    `signed part SHA-256 = id    ${bytesToHex(e.bySpendingKey.id)}  (${e.bySpendingKey.bytes.length - 64} bytes)`,
    `signature (Ed25519)         ${bytesToHex(e.bySpendingKey.block.signature)}`,
    '```',
    '',
    '<!-- example-ledger-spending-send -->',
    '```',
    wrap(bytesToHex(e.bySpendingKey.bytes)),
    '```',
    '',
    `The node of 2.6 (a representative) votes for it in epoch 7, in one batch with a second statement (a block at height 9 of another account, second leaf). The statement (§11.1, ${e.statement.length} bytes):`,
    '',
    '<!-- example-ledger-vote -->',
    '```',
    wrap(bytesToHex(e.statement)),
    '```',
    '',
    '```',
    `leaf = SHA-256(00 · statement)   ${bytesToHex(e.leaf)}`,
    `second leaf (the path)           ${bytesToHex(e.vote.path[0]!)}`,
    `root = SHA-256(01 · leaf · leaf2) ${bytesToHex(e.root)}`,
    `signed message                   ${bytesToHex(e.batchMessage)}`,
    `signature (Ed25519)              ${bytesToHex(e.vote.signature)}`,
    '```',
    '',
    'The vote as a certificate carries it (key id · batch size 2 · position 0 · path · signature):',
    '',
    '```',
    wrap(bytesToHex(e.certificateVote)),
    '```',
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await ledgerExampleMarkdown())
