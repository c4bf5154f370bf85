/**
 * The key id of the identity kept in a node's home (`borg id new|restore`),
 * read from the keystore's clear header: no passphrase needed. Read again at
 * most every `maxAgeMs`, so an identity created while the node runs counts
 * soon after.
 */
import { bytesToHex, hexToBytes } from '../bytes.js'
import { ALG_SECP256K1, keyId } from '../crypto/key-id.js'
import { readKeystore } from '../identity/keystore.js'
import { paths } from '../store/paths.js'
import type { Clock } from '../wire/clock.js'
import { Refreshed } from '../time/refreshed.js'

export function ownerIdentity(home: string, clock: Clock, maxAgeMs = 10_000): () => Promise<string | undefined> {
  const cached = new Refreshed(
    () =>
      readKeystore(paths.identity(home)).then(
        (file) => bytesToHex(keyId(ALG_SECP256K1, hexToBytes(file.header.publicKey))),
        () => undefined, // no identity (or an unreadable one): no owner key beyond the node's own
      ),
    clock,
    maxAgeMs,
  )
  return () => cached.get()
}
