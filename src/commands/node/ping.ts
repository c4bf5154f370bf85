import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodePing extends BorgCommand {
  static override summary = 'Send signed pings to a node over pinned HTTPS and report round-trip times'

  static override description = `Fetches the node's card, pins the TLS certificate it binds, then sends signed wire.ping requests and verifies each signed wire.pong (signature, time window, reply-to id, and that the node verified our own signature). A node presenting any other certificate is refused (exit 5).

Pings are signed with this home's node key by default; --identity signs with your identity instead (unlocking it needs BORG_PASSPHRASE or a prompt), and the node's reply shows it verified that key.`

  static override examples = [
    '<%= config.bin %> node ping 127.0.0.1:13300',
    '<%= config.bin %> node ping 10.0.0.7:13300 --count 5 --json',
    { description: 'Refuse anything but a specific node:', command: '<%= config.bin %> node ping 10.0.0.7:13300 --expect ed3f…' },
  ]

  static override args = {
    endpoint: Args.string({ description: 'HOST:PORT of the node', required: true }),
  }

  static override flags = {
    count: Flags.integer({ char: 'c', description: 'Number of pings.', default: 1, min: 1, max: 100_000 }),
    interval: Flags.integer({ description: 'Milliseconds between pings.', default: 200, min: 0 }),
    timeout: Flags.integer({ description: 'Milliseconds to wait for each reply.', default: 10_000, min: 1 }),
    expect: Flags.string({ description: 'Node id the peer must have (hex key id, "ed" + 64 hex digits).' }),
    identity: Flags.boolean({ description: 'Sign with your identity instead of the node key.', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NodePing)
    // Loaded on use: keys, TLS and undici are heavy and every other command starts faster without them.
    const [{ loadSigner }, { runPings }] = await Promise.all([import('../../core/identity/load-signer.js'), import('../../core/node/ping-run.js')])
    const { signer, address } = await loadSigner(borgHome(), flags.identity ? 'identity' : 'node', terminal.open())
    const report = await runPings({
      endpoint: args.endpoint,
      expect: flags.expect,
      count: flags.count,
      intervalMs: flags.interval,
      timeoutMs: flags.timeout,
      signer,
      onPinned: (pin) => this.note(`${args.endpoint} is node ${pin.nodeId} (certificate sha256:${pin.certSha256.slice(0, 16)}… pinned)`),
      onPong: (r) => {
        if (!this.jsonOutput) this.log(`signed pong from ${args.endpoint}: seq=${r.seq} time=${r.rttMs.toFixed(2)} ms`)
      },
    })
    const signedAs = { keyId: report.signedAs, ...(address ? { address } : {}) }
    this.emit({ ok: true, ...report, signedAs }, () => {
      const sorted = [...report.rtt].sort((a, b) => a - b)
      return [
        `${report.rtt.length} signed round trips, rtt min/median/max = ${sorted[0]}/${sorted[Math.floor(sorted.length / 2)]}/${sorted.at(-1)} ms`,
        `signed as ${address ? `identity ${address}` : `node ${report.signedAs}`}; the peer verified that key`,
      ]
    })
  }
}
