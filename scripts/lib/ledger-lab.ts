/**
 * A ledger network of real `borg node join --cells ledger` processes on
 * loopback, for the fault test and the benchmark: N representatives named
 * by a fresh genesis, a treasury key held by the caller, clients over signed
 * HTTPS, and accounts funded from the treasury.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '../../src/core/bytes.js'
import { generateKeyPair } from '../../src/core/crypto/secp256k1.js'
import { generateEd25519SecretKey } from '../../src/core/crypto/ed25519.js'
import { MAINNET, addressFromHash160 } from '../../src/core/identity/address.js'
import { hash160 } from '../../src/core/crypto/hash.js'
import { loadOrCreateNodeKey } from '../../src/core/identity/node-key.js'
import { ed25519Signer, signerFromSecretKey, type Signer } from '../../src/core/identity/signer.js'
import { spendingSignerOf } from '../../src/core/ledger/spending-key.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { readRunning } from '../../src/core/node/running-file.js'
import { writeNewGenesis } from '../../src/core/ledger/genesis-file.js'
import { LedgerClient } from '../../src/client/ledger-client.js'
import { Wallet } from '../../src/client/wallet.js'
import { ProcessOrganism, waitFor, type NodeProcess } from './process-organism.js'

export interface LedgerLab {
  organism: ProcessOrganism
  reps: NodeProcess[]
  /** Node ids of the representatives, in order. */
  ids: string[]
  treasury: Signer
  genesisFile: string
  transport: HttpsTransport
  /** A client entering at representative `i`'s ledger cell. */
  client(i?: number): Promise<LedgerClient>
  /** Wait until representative `i` serves the ledger and knows every representative's endpoint. */
  ready(i: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export type KeyKind = 'secp256k1' | 'ed25519'

/** A fresh account key: an identity's (secp256k1, as `borg id new` makes) or a node-style Ed25519 key. */
export function accountKey(kind: KeyKind = 'secp256k1'): Signer {
  return kind === 'secp256k1' ? signerFromSecretKey(generateKeyPair().secretKey) : ed25519Signer(generateEd25519SecretKey())
}

/** A fresh identity with its ledger spending key (what `borg wallet` signs blocks with). */
export function identityWithSpendingKey(): { key: Signer; spending: Signer } {
  const secret = generateKeyPair().secretKey
  return { key: signerFromSecretKey(secret), spending: spendingSignerOf(secret) }
}

/** The address of an account key on the lab's network (Dogecoin mainnet version byte). */
export function addressOf(signer: Signer): string {
  return addressFromHash160(hash160(signer.keyId.subarray(1)), MAINNET)
}

export async function startLedgerLab(options: { reps?: number; basePort: number; env?: Record<string, string> }): Promise<LedgerLab> {
  const count = options.reps ?? 4
  const dir = await mkdtemp(join(tmpdir(), 'borg-ledger-lab-'))
  const genesisFile = join(dir, 'genesis.json')
  const organism = new ProcessOrganism(options.basePort, { BORG_LEDGER_GENESIS: genesisFile, BORG_LEDGER_SYNC_MS: '500', ...options.env })
  organism.contactWaitS = 60
  const reps: NodeProcess[] = []
  for (let i = 0; i < count; i++) reps.push(await organism.prepare())
  const ids = await Promise.all(reps.map(async (r) => bytesToHex((await loadOrCreateNodeKey(r.home)).id)))
  const treasury = accountKey('secp256k1')
  await writeNewGenesis(genesisFile, { name: 'lab', representatives: ids, addressVersion: MAINNET.p2pkh, now: Date.now() }, treasury)
  reps.forEach((r, i) => organism.launch(r, i === 0 ? [] : [0], 'ledger'))
  const transport = new HttpsTransport({ signer: ed25519Signer(generateEd25519SecretKey()), log: silentLogger, timeoutMs: 10_000 })
  const entry = async (i: number) => {
    const running = await readRunning(reps[i]!.home)
    return { endpoint: running.cells.ledger!.recp, id: running.nodeId }
  }
  const lab: LedgerLab = {
    organism,
    reps,
    ids,
    treasury,
    genesisFile,
    transport,
    client: async (i = 0) => new LedgerClient({ transport, entry: await entry(i) }),
    ready: async (i, timeoutMs = 90_000) => {
      await
      waitFor(
        `representative ${i} to serve the ledger and know all ${count} representatives`,
        async () => {
          const client = new LedgerClient({ transport, entry: await entry(i) })
          const view = await client.network(true)
          return view.reps.length === count ? true : undefined
        },
        timeoutMs,
        300,
      )
    },
    stop: async () => {
      await transport.close()
      await organism.stopAll()
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    for (let i = 0; i < count; i++) await lab.ready(i)
  } catch (error) {
    await lab.stop()
    throw error
  }
  return lab
}

/**
 * Give each key `amount` base units from the treasury and open its account
 * (its wallet receives the send). Sends from the treasury are one at a time
 * (one chain); the opens run side by side.
 */
export async function fund(client: LedgerClient, treasury: Signer, keys: Signer[], amount: bigint, spendingOf: (key: Signer) => Signer | undefined = () => undefined): Promise<void> {
  const t = new Wallet(client, treasury)
  for (const key of keys) await t.send(addressOf(key), amount)
  await Promise.all(keys.map((key) => new Wallet(client, key, { spending: spendingOf(key) }).settle()))
}

export { Wallet, LedgerClient }
