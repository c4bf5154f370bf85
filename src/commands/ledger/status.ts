import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class LedgerStatus extends BorgCommand {
  static override summary = 'Show the ledger network: its epoch, the committee and its weights, and this node\'s role'

  static override description = `Asks the local node's ledger cell (or the one at --node). Weights are delegated Shells; a block is final with signatures of more than 2/3 of them. Exit statuses: 0 shown; 3 no node running from this home, or it has no ledger cell; 4 the node is unreachable or has no genesis pinned.`

  static override examples = ['<%= config.bin %> ledger status', '<%= config.bin %> ledger status --json | jq ".committee[].weight"']

  static override flags = { node: Flags.string({ description: 'HOST:PORT of any port of a node with a ledger cell to use instead of the local node.' }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(LedgerStatus)
    const [{ openLedger }, { formatShells }] = await Promise.all([import('../../client/ledger-session.js'), import('../../core/ledger/amount.js')])
    const session = await openLedger(borgHome(), flags.node)
    try {
      const { status } = await session.client.network()
      const total = (status.committee ?? []).reduce((sum, m) => sum + BigInt(m.weight), 0n)
      const out = {
        network: status.network,
        name: status.name,
        epoch: status.epoch,
        node: status.node,
        role: status.role,
        committee: (status.committee ?? []).map((m) => ({ id: m.id, weight: formatShells(BigInt(m.weight)), share: total > 0n ? Number((BigInt(m.weight) * 1_000_000n) / total) / 10_000 : 0, endpoint: m.endpoint ?? null })),
        accounts: status.accounts,
        certified: status.certified,
        supply: status.supply === undefined ? null : formatShells(BigInt(status.supply)),
        frozenAccounts: status.frozen,
      }
      this.emit(out, () => [
        `network ${out.name} ${out.network}, epoch ${out.epoch}`,
        `this node ${out.node}: ${out.role}`,
        `committee (a block is final with more than 2/3 of the weight):`,
        ...out.committee.map((m) => `  ${m.id}  ${m.weight} Shells (${m.share} %)${m.endpoint ? `  at ${m.endpoint}` : '  (not reachable from here)'}`),
        `${out.accounts} accounts, ${out.certified} certified blocks, supply ${out.supply} Shells${out.frozenAccounts ? `, ${out.frozenAccounts} frozen accounts` : ''}`,
      ])
    } finally {
      await session.close()
    }
  }
}
