/**
 * The node signing key, `$BORG_HOME/node/node-key.json`: a random Ed25519 key
 * a running node signs its wire traffic with. Its key id (0xed + public key) is
 * the node id. Ed25519 because node:crypto signs and verifies it natively in
 * node and bun, 10-20x faster than secp256k1 there, and nodes sign every message.
 *
 * Why it is a separate, unencrypted key (like ssh host keys or IPFS peer keys):
 * - a node must restart unattended (after a crash, on boot) with nobody there
 *   to type a passphrase;
 * - it holds no funds and owns no data, so losing it costs only the node's
 *   reputation: delete the file and the node comes back with a new id;
 * - the user's identity, which does own data and funds, stays encrypted in
 *   identity.json and is unlocked only when the user acts.
 * Protection is file permissions: mode 0600, and borg refuses to use the key
 * when the file is readable by group or others.
 */
import { readFile, stat } from 'node:fs/promises'
import { bytesToHex, equalBytes, parseHex } from '../bytes.js'
import { ed25519PublicKeyOf, generateEd25519SecretKey } from '../crypto/ed25519.js'
import { ALG_ED25519, keyId } from '../crypto/key-id.js'
import { BorgError } from '../errors.js'
import { paths } from '../store/paths.js'
import { writeFileExclusive } from './exclusive-file.js'

export const NODE_KEY_VERSION = 2
export const NODE_KEY_ALGORITHM = 'ed25519'

export interface NodeKey {
  secretKey: Uint8Array // 32-byte Ed25519 seed
  publicKey: Uint8Array // 32-byte Ed25519 public key
  /** 0xed + publicKey: the node id on the wire. */
  id: Uint8Array
  created: string // ISO 8601
}

interface NodeKeyFile {
  version: number
  algorithm: string
  secretKey: string
  publicKey: string
  created: string
}

function corrupt(path: string, why: string): BorgError {
  return new BorgError('corrupt-keystore', `node key ${path} is damaged: ${why}; move it away and a new node id will be created`)
}

function decode(path: string, text: string): NodeKey {
  let raw: Partial<NodeKeyFile>
  try {
    raw = JSON.parse(text) as Partial<NodeKeyFile>
  } catch {
    throw corrupt(path, 'not valid JSON')
  }
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, 'not a JSON object')
  if (raw.version === 1) throw corrupt(path, 'it is a secp256k1 node key from a pre-release borg (node keys are Ed25519 now)')
  if (raw.version !== NODE_KEY_VERSION) throw corrupt(path, `unsupported version ${JSON.stringify(raw.version)}`)
  if (raw.algorithm !== NODE_KEY_ALGORITHM) throw corrupt(path, `algorithm must be "${NODE_KEY_ALGORITHM}"`)
  if (typeof raw.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(raw.secretKey)) throw corrupt(path, 'secretKey must be 32 bytes of hex')
  if (typeof raw.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(raw.publicKey)) throw corrupt(path, 'publicKey must be 32 bytes of hex')
  if (typeof raw.created !== 'string' || raw.created === '') throw corrupt(path, 'created is missing')
  const secretKey = parseHex(raw.secretKey)
  const publicKey = parseHex(raw.publicKey)
  if (!equalBytes(ed25519PublicKeyOf(secretKey), publicKey)) throw corrupt(path, 'publicKey does not match secretKey')
  return { secretKey, publicKey, id: keyId(ALG_ED25519, publicKey), created: raw.created }
}

function encode(key: NodeKey): string {
  const file: NodeKeyFile = {
    version: NODE_KEY_VERSION,
    algorithm: NODE_KEY_ALGORITHM,
    secretKey: bytesToHex(key.secretKey),
    publicKey: bytesToHex(key.publicKey),
    created: key.created,
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

/** The node key, or undefined when this home has none yet. 'refused' if the file is group/world-readable. */
export async function loadNodeKey(home: string): Promise<NodeKey | undefined> {
  const path = paths.nodeKey(home)
  let text: string
  try {
    const info = await stat(path)
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new BorgError(
        'refused',
        `node key ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
      )
    }
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return decode(path, text)
}

/** The node key, created (mode 0600) on first use. Safe when several processes start at once: one key wins. */
export async function loadOrCreateNodeKey(home: string, now: () => Date = () => new Date()): Promise<NodeKey> {
  const existing = await loadNodeKey(home)
  if (existing) return existing
  const secretKey = generateEd25519SecretKey()
  const publicKey = ed25519PublicKeyOf(secretKey)
  const key: NodeKey = { secretKey, publicKey, id: keyId(ALG_ED25519, publicKey), created: now().toISOString() }
  if (await writeFileExclusive(paths.nodeKey(home), encode(key), 0o600)) return key
  const winner = await loadNodeKey(home) // another process created it first
  if (!winner) throw new BorgError('internal', `node key ${paths.nodeKey(home)} vanished while being created`)
  return winner
}
