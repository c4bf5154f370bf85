import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import type { Comparison, WireBenchReport } from '../../core/bench/wire-bench.js'

export default class BenchWire extends BorgCommand {
  static override summary = 'Measure the signed wire against bare crypto and plain HTTPS in the same run'

  static override description = `Prints, from one run:
  - envelope sign and verify rates next to the bare primitive: noble secp256k1 for identities, Ed25519 for node keys;
  - signed request/reply rate over pinned HTTPS between two processes next to plain node:https with the same concurrency;
  - bulk throughput of a binary body (default 30 MB) up and down next to a plain node:https server/client moving the same bytes.
A second borg process is started for the far side. Progress goes to stderr, the report to stdout.`

  static override examples = ['<%= config.bin %> bench wire', '<%= config.bin %> bench wire --json --seconds 3']

  static override flags = {
    seconds: Flags.integer({ description: 'Seconds per rate measurement.', default: 2, min: 1, max: 60 }),
    'bulk-mb': Flags.integer({ description: 'Size of the bulk body in MB (10^6 bytes).', default: 30, min: 1, max: 256 }),
    rounds: Flags.integer({ description: 'Bulk transfers per direction (median reported).', default: 5, min: 1, max: 50 }),
    concurrency: Flags.integer({ description: 'Requests in flight for the request/reply figure.', default: 16, min: 1, max: 256 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchWire)
    const { runWireBench } = await import('../../core/bench/wire-bench.js')
    const report = await runWireBench({
      seconds: flags.seconds,
      bulkBytes: flags['bulk-mb'] * 1_000_000,
      bulkRounds: flags.rounds,
      concurrency: flags.concurrency,
      progress: (line) => this.note(line),
    })
    this.emit(report, () => renderReport(report))
  }
}

function row(label: string, c: Comparison, baselineLabel: string, extra = ''): string {
  const n = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1))
  return `${label.padEnd(38)} ${n(c.borg).padStart(9)} ${c.unit.padEnd(6)} ${baselineLabel.padEnd(38)} ${n(c.baseline).padStart(9)} ${c.unit.padEnd(6)} ratio ${c.ratio.toFixed(2)}${extra}`
}

function rrRow(label: string, rr: WireBenchReport['requestReply']): string {
  return row(label, rr, 'plain node:https POST', `  (p50 ${rr.p50Ms.toFixed(2)} ms, p99 ${rr.p99Ms.toFixed(2)} ms vs ${rr.baselineP50Ms.toFixed(2)} ms; ${rr.concurrency} in flight)`)
}

function renderReport(r: WireBenchReport): string[] {
  const mb = (r.upload.bytes / 1e6).toFixed(0)
  return [
    `borg bench wire: ${r.runtime}, ${r.cpus} CPUs; secp256k1 verify: ${r.verifyBackend}, Ed25519: ${r.ed25519Backend}`,
    ...r.crypto.flatMap((c) => [
      row(`envelope sign, ${c.algorithm}`, c.sign, `${c.baseline} sign`),
      row(`envelope verify, ${c.algorithm}`, c.verify, `${c.baseline} verify`),
    ]),
    rrRow('signed request/reply (link)', r.requestReply),
    rrRow('  same, one HTTP request each', r.requestReplyPerRequest),
    row(`upload ${mb} MB (one-way)`, r.upload, 'plain node:https POST'),
    row(`  same, body hash known`, r.uploadKnownHash, 'plain node:https POST'),
    row(`download ${mb} MB (reply)`, r.download, 'plain node:https GET'),
    `context: SHA-256 on this CPU runs at ${r.sha256MBps.toFixed(0)} MB/s; each side hashes every signed byte once.`,
  ]
}
