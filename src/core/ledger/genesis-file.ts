/**
 * The genesis file: what `borg ledger genesis` writes and every node of the
 * network is given (its `network` id is what they pin). JSON with the two
 * signed byte strings in hex, checked again whenever it is read:
 * `{"format": "borg-genesis", "version": 1, "network": hex, "genesis": hex, "block": hex}`.
 */
import { readFile } from 'node:fs/promises'
import { BorgError } from '../errors.js'
import { bytesToHex, parseHex } from '../bytes.js'
import { p2pkhAddress, regtestNetwork } from '../identity/address.js'
import { writeFileExclusive } from '../identity/exclusive-file.js'
import { decodeBlock, type SignedBlock } from './block.js'
import { createGenesis, decodeGenesis, type Genesis } from './genesis.js'

export const GENESIS_FILE_FORMAT = 'borg-genesis'

export interface GenesisSummary {
  network: string
  name: string
  created: string
  treasury: string
  representatives: string[]
  file: string
}

export function genesisSummary(genesis: Genesis, file: string): GenesisSummary {
  return {
    network: bytesToHex(genesis.id),
    name: genesis.name,
    created: new Date(genesis.created).toISOString(),
    treasury: p2pkhAddress(genesis.treasury.subarray(1), regtestNetwork({ p2pkh: genesis.addressVersion })),
    representatives: genesis.representatives.map(bytesToHex),
    file,
  }
}

/** Create a genesis for a new network and write it to `file` (never over an existing one). */
export async function writeNewGenesis(
  file: string,
  options: { name: string; representatives: string[]; addressVersion: number; now: number },
  treasury: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array },
): Promise<GenesisSummary> {
  const representatives = options.representatives.map((hex) => {
    try {
      return parseHex(hex.trim().toLowerCase())
    } catch {
      throw new BorgError('usage', `--rep ${hex} is not a node id (hex, as \`borg node status\` prints it)`)
    }
  })
  const { genesis, block } = createGenesis({ name: options.name, created: options.now, addressVersion: options.addressVersion, representatives }, treasury)
  const text = `${JSON.stringify({ format: GENESIS_FILE_FORMAT, version: 1, network: bytesToHex(genesis.id), genesis: bytesToHex(genesis.bytes), block: bytesToHex(block.bytes) }, null, 2)}\n`
  if (!(await writeFileExclusive(file, text, 0o644))) throw new BorgError('exists', `${file} exists already: a genesis is never overwritten`)
  return genesisSummary(genesis, file)
}

/** Read and check a genesis file: both signatures, the block opening the treasury of that very genesis. */
export async function readGenesisFile(file: string): Promise<{ genesis: Genesis; block: SignedBlock }> {
  let parsed: { format?: unknown; version?: unknown; network?: unknown; genesis?: unknown; block?: unknown }
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BorgError('not-found', `no genesis file at ${file}`)
    throw new BorgError('malformed', `${file} is not a genesis file (not JSON)`)
  }
  if (parsed.format !== GENESIS_FILE_FORMAT || parsed.version !== 1 || typeof parsed.genesis !== 'string' || typeof parsed.block !== 'string') {
    throw new BorgError('malformed', `${file} is not a borg genesis file`)
  }
  const genesis = decodeGenesis(parseHex(parsed.genesis))
  const block = decodeBlock(parseHex(parsed.block))
  if (bytesToHex(block.block.network) !== bytesToHex(genesis.id) || bytesToHex(block.block.account) !== bytesToHex(genesis.treasury) || block.block.op !== 'open' || block.block.height !== 0n) {
    throw new BorgError('malformed', `${file}: the block is not the opening of this genesis's treasury`)
  }
  if (parsed.network !== bytesToHex(genesis.id)) throw new BorgError('malformed', `${file}: the network id does not match the genesis`)
  return { genesis, block }
}
