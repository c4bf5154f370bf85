import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'
import { logWarn } from '../../cli/output.js'
import { classifyError } from '../../cli/report-error.js'

export default class NodeJoin extends BorgCommand {
  static override summary = 'Start a node hosting the chosen cell types and join (or found) their trees'

  static override description = `Starts a node with the node key of $BORG_HOME. For each cell type it opens three ports (net: tree and node-to-node traffic; receptor: signed client requests; monitor: read-only status) and joins that cell's tree through the contacts. Without --contact it founds the trees (a node alone is its own root and keeps serving).

Contacts are HOST:PORT of any port of another node, or NODEID@HOST:PORT to accept only that node there; the node asks each for its cell endpoints, retrying for --contact-wait seconds. When none can be reached the node does not start a separate network: it stops and the command fails (exit 4 when unreachable, 5 when a contact failed verification, e.g. a certificate its node card does not bind), unless --alone. When some answer, it joins through those and warns about the others. --port-base shifts every port, so several nodes run on one machine (give each its own BORG_HOME); a port already in use fails with exit 4, naming the port and what holds it.

Without --foreground the node runs in the background (log: $BORG_HOME/node/node.log) and the command returns once it is up. Stop it with \`borg node leave\` (hands its positions over) or a signal.`

  static override examples = [
    { description: 'First node on this machine:', command: '<%= config.bin %> node join --cells all' },
    { description: 'A second node joining it:', command: 'BORG_HOME=~/.borg2 <%= config.bin %> node join --cells all --port-base 1000 --contact 127.0.0.1:13350' },
    { description: 'In the foreground, only the time cell:', command: '<%= config.bin %> node join --cells crono --foreground' },
    { description: 'Through a contact that must be a given node (exit 5 if another answers):', command: '<%= config.bin %> node join --cells all --contact ed3f…@10.0.0.7:13350' },
  ]

  static override flags = {
    cells: Flags.string({ description: 'Cell types to host: "all" or a list like shard,files,crono.', default: 'all' }),
    contact: Flags.string({ description: 'HOST:PORT (or NODEID@HOST:PORT) of any port of a node to join through (repeatable).', multiple: true, default: [] }),
    'contact-wait': Flags.integer({ description: 'Seconds to keep trying the contacts before giving up.', default: 10, min: 0, max: 3600 }),
    alone: Flags.boolean({ description: 'Found new trees when no contact can be reached, instead of failing.', default: false }),
    'port-base': Flags.integer({ description: 'Added to every cell port (so many nodes fit on one machine).', default: 0, min: -13000, max: 50000 }),
    host: Flags.string({ description: 'Address to listen on: by default every interface (IPv4 and IPv6 where present); 127.0.0.1 keeps the node private to this machine.', default: '::' }),
    'advertise-host': Flags.string({
      description:
        'Address other nodes reach this one at. Default: --host when it is one address; listening on every interface, the primary address at first, then the router\'s external address once it forwards the net ports (UPnP or NAT-PMP), or the address the neighbours reached the node at; behind a NAT that nobody can get through, relays (docs/networking.md).',
    }),
    foreground: Flags.boolean({ description: 'Run in this process until interrupted.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeJoin)
    const home = borgHome()
    const [{ parseCells }, { parseContact }, { readRunning }] = await Promise.all([
      import('../../cells/registry.js'),
      import('../../core/node/contacts.js'),
      import('../../core/node/running-file.js'),
    ])
    const cells = parseCells(flags.cells)
    const contacts = flags.contact.map((c) => parseContact(c).text)
    const contactWaitMs = flags['contact-wait'] * 1000
    const advertiseHost = flags['advertise-host']
    if (advertiseHost && ['0.0.0.0', '::'].includes(advertiseHost)) {
      throw new BorgError('usage', `--advertise-host ${advertiseHost} is not an address other nodes can use`)
    }
    const running = await readRunning(home).catch(() => undefined)
    if (running) throw new BorgError('exists', `a node (pid ${running.pid}) is already running from ${home}; stop it with \`borg node leave\``)

    if (!flags.foreground) {
      const { startInBackground } = await import('../../core/node/background.js')
      // The child may spend the whole contact wait before it is up.
      const started = await startInBackground(home, this.argv, contactWaitMs + 30_000)
      if (!this.jsonOutput) for (const warning of started.warnings ?? []) logWarn(warning)
      this.emit(started, () => [
        `node ${started.nodeId} is running in the background (pid ${started.pid})`,
        ...Object.entries(started.cells).map(([name, e]) => `  ${name.padEnd(6)} net ${e.net}  receptor ${e.recp}  monitor ${e.mon}`),
        `log: ${started.log}`,
      ])
      return
    }

    const [{ OrganismNode }, { reportStartFailure }] = await Promise.all([import('../../core/node/organism-node.js'), import('../../core/node/background.js')])
    const heartbeatMs = Number(process.env.BORG_HEARTBEAT_MS) || undefined
    const node = await OrganismNode.start({
      home,
      cells,
      contacts,
      contactWaitMs,
      alone: flags.alone,
      portBase: flags['port-base'],
      bindHost: flags.host,
      advertiseHost,
      // BORG_HEARTBEAT_MS scales every tree timer (tests and benchmarks use a faster beat).
      tree: heartbeatMs ? { heartbeatMs } : undefined,
    }).catch(async (error: Error) => {
      // Started by a `node join` waiting in the background: tell it why (a no-op otherwise).
      await reportStartFailure(classifyError(error))
      throw error
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
