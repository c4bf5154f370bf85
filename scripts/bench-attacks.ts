/**
 * npm run bench:attacks [-- --borg PATH --attacks a,b,c,d,e --port-base N --json]
 *
 * A real node (`borg node join --cells all --foreground`, its own BORG_HOME,
 * 127.0.0.1) under one attack at a time, restarted between attacks: its idle
 * RSS, then its peak RSS during the attack (VmHWM, reset before the attack),
 * and what the attacker saw.
 *   a  12 connections each announcing a 64 MiB body, sending 63 MiB of it, then trickling
 *   b  300 slow-body connections (1 byte every 5 s): how many are still open after 60 s
 *   c  3,000 idle TLS connections
 *   d  ten stream.offer requests each claiming 2^40 bytes
 *   e  one sender flooding the replay cache with fresh valid messages while an honest one pings
 * --borg PATH: the borg to attack, a checkout (PATH/bin/borg.js) or a CLI file,
 * e.g. a worktree of an older commit, to measure "before". Default: this checkout.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureBundle } from './lib/cli-bundle.js'
import { startNode } from './lib/node-under-test.js'
import { bigTrickles, hugeStreamOffers, idleConnections, replayFlood, slowBodies, type AttackOutcome } from './lib/attacks.js'

const { values } = parseArgs({
  options: {
    borg: { type: 'string' },
    attacks: { type: 'string', default: 'a,b,c,d,e' },
    'port-base': { type: 'string', default: '40000' },
    json: { type: 'boolean', default: false },
  },
})
const log = (line: string) => process.stderr.write(`${line}\n`)

function cliEntry(path: string | undefined): string {
  if (!path) return ensureBundle()
  const entry = existsSync(path) && statSync(path).isDirectory() ? join(path, 'bin', 'borg.js') : path
  if (!existsSync(entry)) throw new Error(`--borg ${path}: no ${entry}`)
  return entry
}

const SHARD_RECEPTOR = 13355

const ATTACKS: Record<string, { name: string; run: (port: number) => Promise<AttackOutcome> }> = {
  a: { name: '12 × 64 MiB bodies, trickled', run: (port) => bigTrickles(port) },
  b: { name: '300 slow-body connections', run: (port) => slowBodies(port) },
  c: { name: '3,000 idle TLS connections', run: (port) => idleConnections(port) },
  d: { name: '10 stream.offer of 2^40 bytes', run: (port) => hugeStreamOffers(port) },
  e: { name: 'replay-cache flood, 1 hostile sender', run: (port) => replayFlood(port) },
}

interface Row {
  attack: string
  idleMb: number
  peakMb: number
  outcome: AttackOutcome
  seconds: number
}

function describe(o: AttackOutcome): string {
  const answers = Object.entries(o.answers)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  const open = o.stillOpen === undefined ? '' : `still open at the end ${o.stillOpen}/${o.connections}`
  return [answers && `answers: ${answers}`, open, ...o.notes].filter(Boolean).join('; ')
}

async function main(): Promise<void> {
  const entry = cliEntry(values.borg)
  const portBase = Number(values['port-base'])
  const rows: Row[] = []
  log(`attacking ${entry}`)
  for (const key of values.attacks.split(',').map((s) => s.trim())) {
    const attack = ATTACKS[key]
    if (!attack) throw new Error(`unknown attack ${key}; known: ${Object.keys(ATTACKS).join(', ')}`)
    const node = await startNode(entry, portBase)
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_000)) // settle: trees founded, JIT warm
      const idleMb = node.rssMb()
      node.resetPeak()
      let sampled = 0
      const sampler = setInterval(() => node.alive() && (sampled = Math.max(sampled, node.rssMb())), 250)
      log(`(${key}) ${attack.name}: idle RSS ${idleMb.toFixed(0)} MB`)
      const started = Date.now()
      const outcome = await attack.run(node.port(SHARD_RECEPTOR))
      clearInterval(sampler)
      if (!node.alive()) outcome.notes.push('NODE DIED')
      const peakMb = node.alive() ? Math.max(node.peakMb(), sampled) : sampled
      const row = { attack: `(${key}) ${attack.name}`, idleMb, peakMb, outcome, seconds: (Date.now() - started) / 1000 }
      rows.push(row)
      log(`(${key}) peak RSS ${peakMb.toFixed(0)} MB; ${describe(outcome)}`)
    } finally {
      await node.stop()
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ borg: entry, rows }, null, 2)}\n`)
    return
  }
  const table = [
    '| attack | peak RSS | idle RSS | outcome |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.attack} | ${r.peakMb.toFixed(0)} MB | ${r.idleMb.toFixed(0)} MB | ${describe(r.outcome)} |`),
  ]
  process.stdout.write(`borg: ${entry}\n${table.join('\n')}\n`)
}

main().catch((error) => {
  log(`bench:attacks failed: ${(error as Error).stack ?? error}`)
  process.exit(1)
})
