import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

interface CellStatus {
  name: string
  state: string
  position?: number
  treeSize?: number
  epoch?: { term: number; seq: number }
  root?: { id: string; endpoint: string }
  parent?: { id: string; endpoint: string }
  children: { id: string; position: number }[]
  lastNode?: { id: string; position: number }
  queues: { join: number; repairs: number; outbox: number; outboxOverflowed: number }
  peersKnown: number
  broadcasts: { delivered: number }
  organs: Record<string, unknown>
  reachability?: { state: string; reason: string; advertised: string[] }
}

export default class NodeStatus extends BorgCommand {
  static override summary = 'Show, per cell, where this node sits in its tree and how the tree is doing'

  static override description = `Reads the status of the node running from $BORG_HOME from its monitor ports (read-only, pinned HTTPS). Per cell: name, state, position, treeSize, root (id and endpoint), parent, children, lastNode, epoch (term.seq), queue depths (joins waiting at the root, repairs, outbox) and peers known; then each cell's reachability (public: tree neighbours dialed it back; private: they could not, or it listens on loopback only; unknown: not checked yet) and the endpoints it advertises, and the router's port mapping when the node asked for one. --json gives everything, including broadcast and routing counters and the organs' status.`

  static override examples = ['<%= config.bin %> node status', '<%= config.bin %> node status --json | jq ".cells[] | {name, position, treeSize}"']

  async run(): Promise<void> {
    await this.parse(NodeStatus)
    const { withLocalNode } = await import('../../core/node/local-client.js')
    const result = await withLocalNode(borgHome(), async (node) => {
      const cells = await Promise.all(Object.keys(node.running.cells).map((name) => node.status<CellStatus>(name)))
      const { portMapping } = node.running
      return { nodeId: node.running.nodeId, pid: node.running.pid, version: node.running.version, startedAt: node.running.startedAt, ...(portMapping ? { portMapping } : {}), cells }
    })
    const short = (id?: string) => (id ? `${id.slice(0, 10)}…` : '-')
    this.emit(result, () => [
      `node ${result.nodeId} (pid ${result.pid}, borg ${result.version})`,
      `${'cell'.padEnd(7)} ${'state'.padEnd(7)} ${'pos'.padStart(5)} ${'size'.padStart(5)} ${'epoch'.padEnd(7)} ${'root'.padEnd(34)} ${'parent'.padEnd(12)} ${'kids'.padStart(4)} ${'last'.padEnd(12)} ${'outbox'.padStart(6)} ${'peers'.padStart(5)}`,
      ...result.cells.map((c) =>
        [
          c.name.padEnd(7),
          c.state.padEnd(7),
          String(c.position ?? '-').padStart(5),
          String(c.treeSize ?? '-').padStart(5),
          (c.epoch ? `${c.epoch.term}.${c.epoch.seq}` : '-').padEnd(7),
          (c.root ? `${short(c.root.id)} ${c.root.endpoint}` : '-').padEnd(34),
          short(c.parent?.id).padEnd(12),
          String(c.children.length).padStart(4),
          (c.lastNode ? `${c.lastNode.position}:${short(c.lastNode.id)}` : '-').padEnd(12),
          String(c.queues.outbox).padStart(6),
          String(c.peersKnown).padStart(5),
        ].join(' '),
      ),
      ...(result.portMapping
        ? [`port mapping: ${result.portMapping.method} at ${result.portMapping.gateway} forwards ${result.portMapping.externalAddress} ports ${result.portMapping.ports.join(', ')} here`]
        : []),
      ...result.cells.map((c) =>
        c.reachability ? `${c.name.padEnd(7)} ${c.reachability.state}: ${c.reachability.reason}; advertises ${c.reachability.advertised.join(' ')}` : `${c.name.padEnd(7)} reachability: not reported`,
      ),
    ])
  }
}
