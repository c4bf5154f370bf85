/**
 * The ledger under faults, with real processes on loopback: four
 * representatives (`borg node join --cells ledger`) from a fresh genesis.
 *
 * - Honest wallets make thousands of transfers among themselves (each send
 *   also receives what came in) while one representative is stopped with
 *   SIGSTOP, then another is killed with kill -9 and restarted: every honest
 *   transfer is certified.
 * - An adversarial client signs two conflicting sends at one height, again
 *   and again, and hands them to disjoint parts of the committee (3 and 1,
 *   then 2 and 2, then asks each half for the other's block): never two
 *   certificates for one (account, height).
 * - Epochs turn every 2 s whenever the weights moved, so committees change
 *   during all of it.
 * - At the end every representative holds the same chains and exactly the
 *   whole supply.
 *
 * BORG_LEDGER_FAULT_TRANSFERS and BORG_LEDGER_FAULT_ATTACKS scale it (default 2000 and 2000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../src/core/bytes.js'
import { MAINNET } from '../../src/core/identity/address.js'
import { parseShells, TOTAL_SUPPLY } from '../../src/core/ledger/amount.js'
import { buildSend, type ChainContext, type Head } from '../../src/core/ledger/chain.js'
import { encodeCertificate, isQuorum, votesFromBatch, type Vote } from '../../src/core/ledger/certificate.js'
import type { SignedBlock } from '../../src/core/ledger/block.js'
import type { Signer } from '../../src/core/identity/signer.js'
import { request } from '../../src/core/messaging/requests.js'
import { readRunning } from '../../src/core/node/running-file.js'
import { LEDGER_CODECS } from '../../src/cells/ledger/messages.js'
import { accountKey, addressOf, fund, startLedgerLab, Wallet, type LedgerLab } from '../../scripts/lib/ledger-lab.js'
import { reservePortSlot, type PortSlot } from '../helpers/port-slots.js'

const TRANSFERS = Number(process.env.BORG_LEDGER_FAULT_TRANSFERS ?? 2000)
const ATTACKS = Number(process.env.BORG_LEDGER_FAULT_ATTACKS ?? 2000)
const HONEST = 40
/** Attacks per attacker account: 3-against-1 splits (one side certified, the account goes on), then one 2-against-2 (it stalls there). */
const ATTACKS_PER_ACCOUNT = 10

let slot: PortSlot
let lab: LedgerLab

beforeAll(async () => {
  slot = await reservePortSlot()
  // Epochs turn every 2 s when weights moved: committees change under the load and the faults too.
  lab = await startLedgerLab({ reps: 4, basePort: slot.portBaseAt(slot.first), env: { BORG_LEDGER_EPOCH_MS: '2000' } })
}, 180_000)

afterAll(async () => {
  const deaths = lab?.organism.deathReport()
  if (deaths) console.error(`nodes that died on their own:\n${deaths}`)
  await lab?.stop()
  await slot?.release()
})

/** One representative's state, straight from its ledger cell. */
async function repStatus(i: number) {
  const running = await readRunning(lab.reps[i]!.home)
  const reply = await request(lab.transport, { endpoint: running.cells.ledger!.recp, id: running.nodeId }, LEDGER_CODECS.status.encode({}), 10_000)
  return LEDGER_CODECS.statusReply.decode(reply)
}

async function repPeer(i: number) {
  const running = await readRunning(lab.reps[i]!.home)
  return { endpoint: running.cells.ledger!.recp, id: running.nodeId }
}

describe('the ledger under faults (real processes)', () => {
  it(`certifies ${TRANSFERS} honest transfers through SIGSTOP and kill -9 of representatives, and never two blocks at one height for ${ATTACKS} conflicting pairs`, async () => {
    const client = await lab.client(0)
    const view = await client.network()
    const honest = Array.from({ length: HONEST }, () => accountKey('secp256k1'))
    const attackerCount = Math.ceil(ATTACKS / ATTACKS_PER_ACCOUNT)
    const attackers = Array.from({ length: attackerCount }, () => accountKey('ed25519'))
    await fund(client, lab.treasury, [...honest, ...attackers], parseShells('1000'))

    // ------------------------------------------------------------ honest load, with faults
    const wallets = honest.map((key) => new Wallet(client, key))
    const addresses = honest.map(addressOf)
    let done = 0
    let failures = 0
    const faults: string[] = []
    const stopped = lab.reps[1]!
    const killed = lab.reps[2]!
    const phase = async (count: number) => {
      let next = 0
      await Promise.all(
        wallets.map(async (wallet, i) => {
          while (next < count) {
            next++
            const to = addresses[(i + 1 + (next % (HONEST - 1))) % HONEST]!
            try {
              await wallet.send(to, 1_000n + BigInt(next))
              done++
            } catch (error) {
              // The send may hold votes already: settling finishes it (sending again would pay twice).
              if (failures++ < 3) console.log(`retrying after: ${(error as Error).message.slice(0, 300)}`)
              for (let attempt = 0; ; attempt++) {
                await new Promise((r) => setTimeout(r, 500))
                try {
                  const { finished } = await wallet.settle()
                  if (!finished.some((f) => f.op === 'send')) await wallet.send(to, 1_000n + BigInt(next))
                  done++
                  break
                } catch (again) {
                  if (attempt >= 5) throw new Error(`a transfer failed 6 times: ${(again as Error).message} (first: ${(error as Error).message})`)
                }
              }
            }
          }
        }),
      )
    }
    stopped.child!.kill('SIGSTOP')
    faults.push('SIGSTOP representative 1')
    await phase(Math.floor(TRANSFERS / 3))
    stopped.child!.kill('SIGCONT')
    faults.push('SIGCONT representative 1')
    lab.organism.kill9(killed)
    faults.push('kill -9 representative 2')
    await phase(Math.floor(TRANSFERS / 3))
    lab.organism.launch(killed, [0], 'ledger')
    faults.push('restart representative 2')
    await lab.ready(2)
    await phase(TRANSFERS - 2 * Math.floor(TRANSFERS / 3))
    // Retries finish a timed-out send instead of sending again, so each counted transfer is exactly one send.
    expect(done).toBe(TRANSFERS)

    // ------------------------------------------------------------ conflicting blocks
    const peers = await Promise.all([0, 1, 2, 3].map(repPeer))
    let attacks = 0
    let certifiedPairs = 0
    let oneCertified = 0
    let neither = 0
    let early = 0
    const reasons = new Map<string, string>()
    /** A representative's vote, in the epoch it votes in (epochs turn during the test). */
    const votesFor = async (rep: number, signed: SignedBlock): Promise<(Vote & { epoch: bigint }) | undefined> => {
      const reply = LEDGER_CODECS.voteReply.decode(await request(lab.transport, peers[rep]!, LEDGER_CODECS.vote.encode({ items: [{ block: bytesToHex(signed.bytes) }] }), 10_000))
      const r = reply.results[0]!
      if (!r.voted || !reply.signature) {
        reasons.set(`${rep}:${bytesToHex(signed.id)}`, r.error ?? '')
        return undefined
      }
      const epoch = BigInt(reply.epoch)
      const statement = { network: view.network, epoch, account: signed.block.account, height: signed.block.height, block: signed.id }
      const [vote] = votesFromBatch([statement], hexToBytes(peers[rep]!.id), hexToBytes(reply.signature)) ?? []
      expect(vote, 'a vote that verifies').toBeDefined()
      return { ...vote!, epoch }
    }
    const certificateOf = (signed: SignedBlock, epoch: bigint, votes: Vote[]) => ({ network: view.network, epoch, account: signed.block.account, height: signed.block.height, block: signed.id, votes })
    // 16 attackers at a time: a link carries at most 64 requests at once.
    let nextAttacker = 0
    const attack = async (key: Signer, a: number) => {
        const ctx: ChainContext = { network: view.network, addressNetwork: MAINNET, signer: key, now: Date.now }
        const state = await client.account({ account: bytesToHex(key.keyId) })
        let head: Head = { height: state.head!.signed.block.height, id: state.head!.signed.id, balance: state.balance, representative: state.head!.signed.block.representative }
        for (let k = 0; k < ATTACKS_PER_ACCOUNT; k++) {
          attacks++
          const blockA = buildSend(ctx, head, addresses[a % HONEST]!, head.balance / 2n, 'A')
          const blockB = buildSend(ctx, head, addresses[(a + 1) % HONEST]!, head.balance, 'B')
          const last = k === ATTACKS_PER_ACCOUNT - 1
          // 3 against 1 (a different lone representative each time), then 2 against 2.
          const lone = (a + k) % 4
          const sideA = last ? [0, 1] : [0, 1, 2, 3].filter((r) => r !== lone)
          const sideB = last ? [2, 3] : [lone]
          const [va, vb] = await Promise.all([Promise.all(sideA.map((r) => votesFor(r, blockA))), Promise.all(sideB.map((r) => votesFor(r, blockB)))])
          // At 2 against 2 the attacker then asks each half for the other block too (a fork proof: the account freezes).
          const [xa, xb] = last ? await Promise.all([Promise.all(sideB.map((r) => votesFor(r, blockA))), Promise.all(sideA.map((r) => votesFor(r, blockB)))]) : [[], []]
          // An epoch may have turned between the votes: a representative asked again votes for the same block in the new one.
          let epoch = [...va, ...xa, ...vb, ...xb].reduce((e, v) => (v && v.epoch > e ? v.epoch : e), 0n)
          for (let round = 0; round < 3; round++) {
            const sets: [(typeof va)[number][], number[], SignedBlock][] = [[va, sideA, blockA], [vb, sideB, blockB], [xa, sideB, blockA], [xb, sideA, blockB]]
            let older = false
            for (const [votes, side, block] of sets) {
              for (let k = 0; k < votes.length; k++) {
                if (votes[k] && votes[k]!.epoch < epoch) {
                  older = true
                  votes[k] = await votesFor(side[k]!, block)
                }
              }
            }
            if (!older) break
            epoch = [...va, ...xa, ...vb, ...xb].reduce((e, v) => (v && v.epoch > e ? v.epoch : e), epoch)
          }
          const committee = (await client.committeeOf(epoch))!
          // Votes of one epoch make a certificate; those cast in an earlier one count for nothing there.
          const votesA = [...va, ...xa].filter((v): v is Vote & { epoch: bigint } => v !== undefined && v.epoch === epoch)
          const votesB = [...vb, ...xb].filter((v): v is Vote & { epoch: bigint } => v !== undefined && v.epoch === epoch)
          const weight = (votes: Vote[]) => votes.reduce((sum, v) => sum + (committee.weights.get(bytesToHex(v.representative)) ?? 0n), 0n)
          const quorumA = isQuorum(weight(votesA), committee)
          const quorumB = isQuorum(weight(votesB), committee)
          if (quorumA && quorumB) certifiedPairs++
          if (!quorumA && !quorumB) {
            neither++
            if (!last && early++ < 3) console.log(`attack ${k} of account ${a} certified neither side: ${JSON.stringify({ epoch: String(epoch), va: va.map((v) => v && String(v.epoch)), vb: vb.map((v) => v && String(v.epoch)), why: sideA.map((r) => reasons.get(`${r}:${bytesToHex(blockA.id)}`)) })}`)
            break // stalled at this height for good (and frozen where a representative saw both)
          }
          oneCertified++
          const [winner, votes] = quorumA ? [blockA, votesA] : [blockB, votesB]
          const certificate = certificateOf(winner, epoch, votes.map(({ epoch: _, ...vote }) => vote))
          const confirmed = await Promise.all(peers.map(async (p) => LEDGER_CODECS.confirmReply.decode(await request(lab.transport, p, LEDGER_CODECS.confirm.encode({ items: [{ block: bytesToHex(winner.bytes), certificate: bytesToHex(encodeCertificate(certificate)) }] }), 10_000)).results[0]!))
          // The certificate the attacker made of the winning side is taken by every representative.
          expect(confirmed.map((c) => c.error ?? c.outcome)).toEqual(['applied', 'applied', 'applied', 'applied'].map((o, r) => (confirmed[r]!.outcome === 'known' ? 'known' : o)))
          head = { height: winner.block.height, id: winner.id, balance: winner.block.balance, representative: winner.block.representative }
        }
    }
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (nextAttacker < attackers.length) {
          const a = nextAttacker++
          await attack(attackers[a]!, a)
        }
      }),
    )
    expect(certifiedPairs).toBe(0)
    expect(attacks).toBe(attackerCount * ATTACKS_PER_ACCOUNT)
    expect(neither).toBe(attackerCount) // each account's last pair, split 2 and 2
    console.log(`ledger faults: ${done} honest transfers certified (${failures} retried) through ${faults.join(', ')}; ${attacks} conflicting pairs: ${oneCertified} one side certified, ${neither} neither, ${certifiedPairs} both`)

    // ------------------------------------------------------------ every representative agrees
    const totalCertified = async () => (await Promise.all([0, 1, 2, 3].map(repStatus))).map((s) => s.certified)
    let counts: (number | undefined)[] = []
    for (let i = 0; i < 240; i++) {
      counts = await totalCertified()
      if (counts.every((c) => c === counts[0])) break
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(new Set(counts).size).toBe(1)
    const statuses = await Promise.all([0, 1, 2, 3].map(repStatus))
    for (const s of statuses) expect(BigInt(s.supply!)).toBe(TOTAL_SUPPLY)
    const epochs = statuses.map((s) => Number(s.epoch))
    console.log(`ledger faults: every representative at epoch ${epochs.join(', ')}, ${counts[0]} certified blocks each`)
    expect(Math.min(...epochs)).toBeGreaterThan(0)
    // Every account's head is the same block at every representative.
    for (const key of [...honest, ...attackers.slice(0, 50)]) {
      const heads = await Promise.all(peers.map(async (p) => LEDGER_CODECS.accountReply.decode(await request(lab.transport, p, LEDGER_CODECS.account.encode({ account: bytesToHex(key.keyId) }), 10_000)).head?.block))
      expect(new Set(heads).size).toBe(1)
    }
  }, 900_000)
})
