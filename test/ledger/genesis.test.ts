/** The genesis document (src/core/ledger/genesis.ts): signed by the treasury, strict, its id the network of every block. */
import { describe, expect, it } from 'vitest'
import { codeOf as code } from '../helpers/refusal.js'
import fc from 'fast-check'
import { bytesToHex } from '../../src/core/bytes.js'
import { TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { decodeBlock } from '../../src/core/ledger/block.js'
import { totalWeight } from '../../src/core/ledger/certificate.js'
import { createGenesis, decodeGenesis, genesisCommittee } from '../../src/core/ledger/genesis.js'
import { LedgerState } from '../../src/core/ledger/representative.js'
import { testSigner } from '../helpers/keys.js'

const treasury = testSigner('secp256k1')
const reps = Array.from({ length: 3 }, () => testSigner('ed25519'))
const fields = { name: 'test net', created: 1_700_000_000_000, addressVersion: 0x1e, representatives: reps.map((r) => r.keyId) }

describe('a genesis', () => {
  it('decodes as created; its id is the network of the genesis block, which opens the treasury with the whole supply', () => {
    const { genesis, block } = createGenesis(fields, treasury)
    const decoded = decodeGenesis(genesis.bytes)
    expect(decoded.name).toBe('test net')
    expect(bytesToHex(decoded.id)).toBe(bytesToHex(genesis.id))
    const opened = decodeBlock(block.bytes)
    expect(bytesToHex(opened.block.network)).toBe(bytesToHex(genesis.id))
    const state = new LedgerState({ network: genesis.id, addressVersion: 0x1e })
    state.openTreasury(opened)
    expect(state.supply()).toBe(TOTAL_SUPPLY)
  })

  it('gives the bootstrap representatives the whole weight, in equal shares', () => {
    const committee = genesisCommittee(createGenesis(fields, treasury).genesis)
    expect(totalWeight(committee)).toBe(TOTAL_SUPPLY)
    expect([...committee.weights.keys()]).toEqual(reps.map((r) => bytesToHex(r.keyId)))
  })

  it('is refused when any byte changes, with trailing bytes, or truncated (property)', () => {
    const { bytes } = createGenesis(fields, treasury).genesis
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = Uint8Array.from(bytes)
        changed[at]! ^= xor
        return ['malformed', 'bad-signature', 'unsupported-version'].includes(code(() => decodeGenesis(changed)) ?? 'no error')
      }),
    )
    expect(code(() => decodeGenesis(Uint8Array.from([...bytes, 0])))).toBe('malformed')
    expect(code(() => decodeGenesis(bytes.subarray(0, 40)))).toBe('malformed')
  })

  it('needs a name, 1 to 64 distinct representatives', () => {
    expect(code(() => createGenesis({ ...fields, name: '' }, treasury))).toBe('invalid-input')
    expect(code(() => createGenesis({ ...fields, representatives: [] }, treasury))).toBe('invalid-input')
    expect(code(() => createGenesis({ ...fields, representatives: [reps[0]!.keyId, reps[0]!.keyId] }, treasury))).toBe('invalid-input')
  })
})
