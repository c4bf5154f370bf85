import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { parseKeyIdHex } from '../../core/crypto/key-id.js'
import { loadOrCreateNodeKey } from '../../core/identity/node-key.js'
import { unlockIdentity } from '../../core/identity/identity.js'
import { keystorePassphrase } from '../../core/identity/secret-input.js'
import { p2pkhAddress } from '../../core/identity/address.js'
import { identitySigner, nodeSigner, type Signer } from '../../core/identity/signer.js'
import { createLogger } from '../../core/log.js'
import { formatEndpoint, parseEndpoint } from '../../core/net/endpoint.js'
import { HttpsTransport } from '../../core/net/https-transport.js'
import { ping, type PingResult } from '../../core/node/ping.js'
import { borgHome } from '../../core/store/paths.js'
import { SystemClock } from '../../core/wire/clock.js'
import { bytesToHex } from '../../core/bytes.js'

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
    const endpoint = formatEndpoint(parseEndpoint(args.endpoint))
    const expect = flags.expect === undefined ? undefined : bytesToHex(parseKeyIdHex(flags.expect, '--expect'))
    const home = borgHome()
    const signer = await this.signer(home, flags.identity)
    const clock = new SystemClock()
    const transport = new HttpsTransport({ signer, clock, timeoutMs: flags.timeout, log: createLogger('ping') })
    const results: PingResult[] = []
    try {
      const pin = await transport.client.resolvePin(endpoint, expect)
      this.note(`${endpoint} is node ${pin.nodeId} (certificate sha256:${pin.certSha256.slice(0, 16)}… pinned)`)
      for (let seq = 1; seq <= flags.count; seq++) {
        const result = await ping(transport, { endpoint, id: pin.nodeId }, clock, seq, flags.timeout)
        results.push(result)
        if (!this.jsonOutput) this.log(`signed pong from ${endpoint}: seq=${seq} time=${result.rttMs.toFixed(2)} ms`)
        if (seq < flags.count && flags.interval > 0) await new Promise((resolve) => setTimeout(resolve, flags.interval))
      }
      const signedAs = { keyId: bytesToHex(signer.keyId), ...(flags.identity ? { address: p2pkhAddress(signer.publicKey) } : {}) }
      const rtt = results.map((r) => Number(r.rttMs.toFixed(3)))
      if (this.jsonOutput) {
        this.emit({ ok: true, endpoint, peer: pin.nodeId, certSha256: pin.certSha256, signedAs, rtt, peerVersion: results[0]!.pong.version }, () => '')
      } else {
        const sorted = [...rtt].sort((a, b) => a - b)
        this.log(`${results.length} signed round trips, rtt min/median/max = ${sorted[0]}/${sorted[Math.floor(sorted.length / 2)]}/${sorted.at(-1)} ms`)
        this.log(`signed as ${flags.identity ? `identity ${signedAs.address}` : `node ${signedAs.keyId}`}; the peer verified that key`)
      }
    } finally {
      await transport.close()
    }
  }

  private async signer(home: string, useIdentity: boolean): Promise<Signer> {
    if (!useIdentity) return nodeSigner(await loadOrCreateNodeKey(home))
    const passphrase = await keystorePassphrase(terminal.open(), process.env, { confirm: false })
    const unlocked = await unlockIdentity(home, passphrase)
    unlocked.seed.fill(0)
    return identitySigner(unlocked.key)
  }
}
