import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeJoin extends BorgCommand {
  static override summary = 'Start a node hosting the chosen cell types and join (or found) their trees'

  static override description = `Starts a node with the node key of $BORG_HOME. For each cell type it opens three ports (net: tree and node-to-node traffic; receptor: signed client requests; monitor: read-only status) and joins that cell's tree through the contacts, or founds it when no contact is reachable (a node alone is its own root and keeps serving).

Contacts are HOST:PORT of any port of another node; the node asks it for its cell endpoints. --port-base shifts every port, so several nodes run on one machine (give each its own BORG_HOME).

Without --foreground the node runs in the background (log: $BORG_HOME/node/node.log) and the command returns once it is up. Stop it with \`borg node leave\` (hands its positions over) or a signal.`

  static override examples = [
    { description: 'First node on this machine:', command: '<%= config.bin %> node join --cells all' },
    { description: 'A second node joining it:', command: 'BORG_HOME=~/.borg2 <%= config.bin %> node join --cells all --port-base 1000 --contact 127.0.0.1:13350' },
    { description: 'In the foreground, only the time cell:', command: '<%= config.bin %> node join --cells crono --foreground' },
  ]

  static override flags = {
    cells: Flags.string({ description: 'Cell types to host: "all" or a list like shard,files,crono.', default: 'all' }),
    contact: Flags.string({ description: 'HOST:PORT of any port of a node to join through (repeatable).', multiple: true, default: [] }),
    'port-base': Flags.integer({ description: 'Added to every cell port (so many nodes fit on one machine).', default: 0, min: -13000, max: 50000 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    'advertise-host': Flags.string({ description: 'Address other nodes reach this one at (default: --host).' }),
    foreground: Flags.boolean({ description: 'Run in this process until interrupted.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeJoin)
    const home = borgHome()
    const [{ parseCells }, { parseEndpoint, formatEndpoint }, { readRunning }] = await Promise.all([
      import('../../cells/registry.js'),
      import('../../core/net/endpoint.js'),
      import('../../core/node/running-file.js'),
    ])
    const cells = parseCells(flags.cells)
    const contacts = flags.contact.map((c) => formatEndpoint(parseEndpoint(c)))
    const advertiseHost = flags['advertise-host'] ?? flags.host
    if (['0.0.0.0', '::'].includes(advertiseHost)) {
      throw new BorgError('usage', `--host ${flags.host} listens everywhere: give --advertise-host, the address other nodes should use`)
    }
    const running = await readRunning(home).catch(() => undefined)
    if (running) throw new BorgError('exists', `a node (pid ${running.pid}) is already running from ${home}; stop it with \`borg node leave\``)

    if (!flags.foreground) {
      const { startInBackground } = await import('../../core/node/background.js')
      const started = await startInBackground(home, this.argv)
      this.emit(started, () => [
        `node ${started.nodeId} is running in the background (pid ${started.pid})`,
        ...Object.entries(started.cells).map(([name, e]) => `  ${name.padEnd(6)} net ${e.net}  receptor ${e.recp}  monitor ${e.mon}`),
        `log: ${started.log}`,
      ])
      return
    }

    const { OrganismNode } = await import('../../core/node/organism-node.js')
    const heartbeatMs = Number(process.env.BORG_HEARTBEAT_MS) || undefined
    const node = await OrganismNode.start({
      home,
      cells,
      contacts,
      portBase: flags['port-base'],
      bindHost: flags.host,
      advertiseHost,
      // BORG_HEARTBEAT_MS scales every tree timer (tests and benchmarks use a faster beat).
      tree: heartbeatMs ? { heartbeatMs } : undefined,
    })
    const ready = node.running()
    if (this.jsonOutput) process.stdout.write(`${JSON.stringify(ready)}\n`)
    else this.emit(ready, () => [`node ${ready.nodeId} up (pid ${ready.pid})`, ...Object.entries(ready.cells).map(([name, e]) => `  ${name.padEnd(6)} net ${e.net}  receptor ${e.recp}  monitor ${e.mon}`)])
    await new Promise<void>((resolve) => {
      node.whenLeft(resolve)
      const stop = (signal: string) => {
        this.note(`${signal}: stopping`)
        void node.stop().then(resolve, resolve)
      }
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
    })
  }
}
