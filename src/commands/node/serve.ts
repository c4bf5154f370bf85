import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeServe extends BorgCommand {
  static override summary = 'Run a bare wire endpoint: this node\'s key, pinned TLS and signed ping, without joining a tree'

  static override description = `Starts an HTTPS endpoint with the node key of $BORG_HOME (created on first use) and a self-signed certificate bound to that key by a signed node card. It answers signed wire.ping requests, which is enough to check reachability and identity with \`borg node ping\` from another machine or process. It runs until interrupted (Ctrl-C / SIGTERM).

When it is listening it prints the endpoint, the node id and the certificate's SHA-256 on stdout (one JSON line with --json), so scripts can wait for it.`

  static override examples = [
    { description: 'Serve on a free port and print where:', command: '<%= config.bin %> node serve --port 0' },
    { description: 'In a script: start, read the endpoint, ping it:', command: 'BORG_HOME=/tmp/a <%= config.bin %> node serve --port 0 --json > ready.json &' },
  ]

  static override flags = {
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'Port to listen on (0 picks a free one).', default: 13300, min: 0, max: 65535 }),
    advertise: Flags.string({ description: 'HOST:PORT to put in the node card instead of the bound address (repeatable).', multiple: true }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeServe)
    // Loaded on use: TLS, undici and x509 are heavy and every other command starts faster without them.
    const { startWireNode } = await import('../../core/node/wire-node.js')
    const node = await startWireNode({ home: borgHome(), host: flags.host, port: flags.port, advertise: flags.advertise })
    const ready = { endpoint: node.endpoint, nodeId: node.nodeId, certSha256: node.certSha256 }
    if (this.jsonOutput) process.stdout.write(`${JSON.stringify(ready)}\n`)
    else this.emit(ready, () => [`listening on ${node.endpoint}`, `node id      ${node.nodeId}`, `certificate  sha256:${node.certSha256}`])
    this.note('serving signed wire.ping; press Ctrl-C to stop')
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    this.note(`${signal}: closing`)
    await node.close()
  }
}
