/**
 * Prints the worked envelope example of docs/protocol.md §2.6 (run with
 * `npx tsx scripts/protocol-example.ts`). Everything is deterministic: fixed keys
 * (from the public BIP39 test mnemonic), fixed id and time, RFC 6979 nonces.
 * test/docs/protocol-example.test.ts checks the document against this code.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { deriveIdentityKey } from '../src/core/identity/derive.js'
import { mnemonicToSeed } from '../src/core/identity/mnemonic.js'
import { signerFromSecretKey } from '../src/core/identity/signer.js'
import { encodeSignedPart } from '../src/core/envelope/codec.js'
import { seal } from '../src/core/envelope/seal.js'
import { BodyType } from '../src/core/wire/message.js'

export const EXAMPLE_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'

export async function buildExample() {
  const seed = await mnemonicToSeed(EXAMPLE_MNEMONIC)
  const senderKey = deriveIdentityKey(seed, "m/44'/3'/0'/0/0")
  const recipientKey = deriveIdentityKey(seed, "m/44'/3'/0'/0/1")
  const signer = signerFromSecretKey(senderKey.secretKey)
  const body = new TextEncoder().encode('{"seq":1}')
  const id = Uint8Array.from({ length: 16 }, (_, i) => i)
  const sealed = seal(
    signer,
    { kind: 'wire.ping', to: { type: 'node', id: recipientKey.publicKey }, body, bodyType: BodyType.json },
    { expectsReply: true, timestamp: 1_700_000_000_000, id, random: { bytes: () => id, float: () => 0, int: () => 0 } },
  )
  const { signature, ...unsigned } = sealed.header
  const signedPart = encodeSignedPart(unsigned)
  return { senderKey, recipientKey, body, sealed, signedPart, digest: sha256(signedPart), signature }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const x = await buildExample()
  const hex = (b: Uint8Array) => bytesToHex(b)
  const wrap = (s: string) => s.match(/.{1,64}/g)!.join('\n')
  console.log(`sender secret key    ${hex(x.senderKey.secretKey)}`)
  console.log(`sender public key    ${hex(x.senderKey.publicKey)}  (${x.senderKey.address})`)
  console.log(`recipient public key ${hex(x.recipientKey.publicKey)}  (${x.recipientKey.address})`)
  console.log(`body                 ${hex(x.body)}  ({"seq":1})`)
  console.log(`body sha256          ${hex(x.sealed.header.bodyHash)}`)
  console.log(`signed part sha256   ${hex(x.digest)}`)
  console.log(`signature            ${hex(x.signature)}`)
  console.log(`header length        ${x.sealed.headerBytes.length}`)
  console.log('\nfull message:')
  console.log(wrap(hex(x.sealed.headerBytes) + hex(x.body)))
}
