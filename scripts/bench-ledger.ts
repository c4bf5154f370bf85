/**
 * Certified transfers per second on loopback: 4 representative processes
 * (`borg node join --cells ledger`) and this process as the load driver,
 * many accounts sending at once (each account one block at a time, as the
 * protocol allows). Printed beside the bare signature-verification rates
 * measured in this run: every transfer costs each representative one owner
 * signature check (votes are signed and checked per batch), so those rates
 * are the ceiling.
 * Then the same load with one representative stopped (SIGSTOP).
 *
 *   npx tsx scripts/bench-ledger.ts [--accounts 250] [--seconds 10] [--keys identity|spending|ed25519|both]
 */
import { parseArgs } from 'node:util'
import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'
import { bytesToHex } from '../src/core/bytes.js'
import { generateKeyPair, sign as secpSign, verify as secpVerify } from '../src/core/crypto/secp256k1.js'
import { ed25519PublicKeyOf, ed25519Sign, ed25519Verify, generateEd25519SecretKey } from '../src/core/crypto/ed25519.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { MAINNET } from '../src/core/identity/address.js'
import { buildSend, type ChainContext, type Head } from '../src/core/ledger/chain.js'
import { parseShells } from '../src/core/ledger/amount.js'
import type { Signer } from '../src/core/identity/signer.js'
import type { CertifiedBlock, LedgerClient } from '../src/client/ledger-client.js'
import { accountKey, addressOf, fund, identityWithSpendingKey, startLedgerLab } from './lib/ledger-lab.js'
import { authorize } from '../src/core/ledger/spending-key.js'

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '250' }, seconds: { type: 'string', default: '10' }, keys: { type: 'string', default: 'both' }, 'base-port': { type: 'string', default: '41000' } } })
const ACCOUNTS = Number(values.accounts)
const SECONDS = Number(values.seconds)
const REPS = 4

/** identity: the identity key (secp256k1) signs every block; spending: its Ed25519 spending key does (what `borg wallet` does); ed25519: accounts keyed by an Ed25519 key. */
type Kind = 'identity' | 'spending' | 'ed25519'
const KIND_LABEL: Record<Kind, string> = { identity: 'identity-signed blocks (secp256k1)', spending: 'spending-key-signed blocks (Ed25519, as borg wallet)', ed25519: 'Ed25519-keyed accounts' }

function rate(f: () => void, ms = 1000): number {
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let i = 0; i < 50; i++) f()
    n += 50
  }
  return (n * 1000) / (performance.now() - start)
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** CPU seconds (user + system) a process has used, from /proc (linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0
  }
}

interface Run {
  label: string
  /** CPU ms per certified transfer: all representatives together, and this load driver. */
  repCpuMs: number
  driverCpuMs: number
  transfers: number
  perSecond: number
  p50: number
  p99: number
  confirmP99: number
  errors: number
}

/** Every account sends 1 base unit to another, again and again, for `seconds`: certify, then confirm. */
async function load(label: string, client: LedgerClient, accounts: { key: Signer; spending?: Signer; head: Head; last?: CertifiedBlock }[], network: Uint8Array, seconds: number, repPids: (number | undefined)[]): Promise<Run> {
  const repCpuBefore = repPids.reduce((sum: number, pid) => sum + cpuSeconds(pid), 0)
  const driverBefore = process.cpuUsage()
  const certified: number[] = []
  const confirmed: number[] = []
  let errors = 0
  const addresses = accounts.map((a) => addressOf(a.key))
  const end = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(
    accounts.map(async (account, i) => {
      const ctx: ChainContext = { network, addressNetwork: MAINNET, signer: account.key, now: Date.now }
      if (account.spending) ctx.spending = { signer: account.spending, authorized: authorize(account.key, network, account.spending) }
      while (performance.now() < end) {
        const t0 = performance.now()
        const signed = buildSend(ctx, account.head, addresses[(i + 1) % addresses.length]!, 1n)
        try {
          const certificate = await client.certify(signed, { previous: account.last })
          const t1 = performance.now()
          const entry = { signed, certificate }
          await client.confirm(entry)
          certified.push(t1 - t0)
          confirmed.push(performance.now() - t0)
          account.head = { height: signed.block.height, id: signed.id, balance: signed.block.balance, representative: signed.block.representative }
          account.last = entry
        } catch (error) {
          errors++
          if (errors < 5) console.error(`  ${label}: ${(error as Error).message}`)
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  const repCpu = repPids.reduce((sum: number, pid) => sum + cpuSeconds(pid), 0) - repCpuBefore
  const driver = process.cpuUsage(driverBefore)
  const per = (seconds: number) => (certified.length > 0 ? (seconds * 1000) / certified.length : NaN)
  certified.sort((a, b) => a - b)
  confirmed.sort((a, b) => a - b)
  return { label, repCpuMs: per(repCpu), driverCpuMs: per((driver.user + driver.system) / 1e6), transfers: certified.length, perSecond: certified.length / elapsed, p50: percentile(certified, 50), p99: percentile(certified, 99), confirmP99: percentile(confirmed, 99), errors }
}

async function main(): Promise<void> {
  const message = sha256(new TextEncoder().encode('bench'))
  const secp = generateKeyPair()
  const secpSig = secpSign(message, secp.secretKey)
  const edKey = generateEd25519SecretKey()
  const edPub = ed25519PublicKeyOf(edKey)
  const edSig = ed25519Sign(message, edKey)
  const bare = {
    secpVerify: rate(() => secpVerify(secpSig, message, secp.publicKey)),
    secpSign: rate(() => secpSign(message, secp.secretKey)),
    edVerify: rate(() => ed25519Verify(edSig, message, edPub)),
  }
  const cores = availableParallelism()
  // Per transfer: each representative checks the owner's signature once (votes are signed in batches and a
  // batch is verified once, so they cost next to nothing per transfer); the driver signs the block. The rest
  // (TLS, JSON, HTTP, the log) is what separates a run from its ceiling.
  const ceilingFor = (ownerVerify: number, ownerSign: number) => cores / (REPS / ownerVerify + 1 / ownerSign)
  console.log(`bare rates on this machine (${cores} cores, one core each): secp256k1 verify ${bare.secpVerify.toFixed(0)}/s, sign ${bare.secpSign.toFixed(0)}/s; Ed25519 verify ${bare.edVerify.toFixed(0)}/s`)

  const lab = await startLedgerLab({ reps: REPS, basePort: Number(values['base-port']) })
  const runs: (Run & { ceiling: number })[] = []
  try {
    const client = await lab.client(0)
    const pids = () => lab.reps.map((r) => r.child?.pid)
    const network = (await client.network()).network
    const kinds: Kind[] = values.keys === 'both' ? ['identity', 'spending'] : [values.keys as Kind]
    for (const kind of kinds) {
      const made = Array.from({ length: ACCOUNTS }, () => (kind === 'spending' ? identityWithSpendingKey() : { key: accountKey(kind === 'identity' ? 'secp256k1' : 'ed25519'), spending: undefined }))
      const keys = made.map((m) => m.key)
      const spendingOf = new Map(made.map((m) => [m.key, m.spending]))
      const fundStart = performance.now()
      await fund(client, lab.treasury, keys, parseShells('1000'), (key) => spendingOf.get(key))
      console.log(`funded ${ACCOUNTS} accounts (${KIND_LABEL[kind]}) in ${((performance.now() - fundStart) / 1000).toFixed(1)} s`)
      const accounts = await Promise.all(
        keys.map(async (key) => {
          const view = await client.account({ account: bytesToHex(key.keyId) })
          const h = view.head!
          return { key, spending: spendingOf.get(key), head: { height: h.signed.block.height, id: h.signed.id, balance: h.signed.block.balance, representative: h.signed.block.representative }, last: h.certificate ? { signed: h.signed, certificate: h.certificate } : undefined }
        }),
      )
      const ceiling = kind === 'identity' ? ceilingFor(bare.secpVerify, bare.secpSign) : ceilingFor(bare.edVerify, rate(() => ed25519Sign(message, edKey), 300))
      runs.push({ ...(await load(`${KIND_LABEL[kind]}, 4 representatives`, client, accounts, network, SECONDS, pids())), ceiling })
      const stopped = lab.reps[REPS - 1]!.child!
      stopped.kill('SIGSTOP')
      try {
        runs.push({ ...(await load(`${KIND_LABEL[kind]}, 1 of 4 stopped (SIGSTOP)`, client, accounts, network, SECONDS, pids())), ceiling })
      } finally {
        stopped.kill('SIGCONT')
      }
    }
  } finally {
    await lab.stop()
  }
  console.log('')
  console.log('| run | certified transfers | per second | p50 ms | p99 ms | p99 to confirmed ms | errors | CPU ms per transfer: representatives + driver | ceiling /s (signatures only) |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of runs) console.log(`| ${r.label} | ${r.transfers} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.confirmP99.toFixed(1)} | ${r.errors} | ${r.repCpuMs.toFixed(2)} + ${r.driverCpuMs.toFixed(2)} | ${r.ceiling.toFixed(0)} |`)
  console.log(`\n${ACCOUNTS} accounts sending at once for ${SECONDS} s each run; goal: ≥ 1,000 certified transfers/s with p99 < 500 ms.`)

}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
