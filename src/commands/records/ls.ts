import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class RecordsLs extends BorgCommand {
  static override summary = 'List the records of COLLECTION the local node holds, oldest first'

  static override description = `From the local node's synced set (no other node is asked); each record's signature is checked here. --author keeps one author's (a key id in hex), --since those created from a time on (ISO date or seconds since 1970). Exit statuses: 0 listed; 2 usage; 3 the node holds no such collection; 4 the local node does not answer; 5 a record that fails verification.`

  static override examples = ['<%= config.bin %> records ls notes', '<%= config.bin %> records ls services --json | jq ".[].content.node"']

  static override args = { collection: Args.string({ description: 'The collection.', required: true }) }

  static override flags = {
    author: Flags.string({ description: 'Only this author’s records (key id hex).' }),
    since: Flags.string({ description: 'Only records created from this time on (ISO date or seconds since 1970).' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecordsLs)
    const [{ withLocalNode }, { listRecords, viewOf }, { BorgError }] = await Promise.all([import('../../core/node/local-client.js'), import('../../client/records-client.js'), import('../../core/errors.js')])
    let since: number | undefined
    if (flags.since !== undefined) {
      since = /^\d+$/.test(flags.since) ? Number(flags.since) : Math.floor(Date.parse(flags.since) / 1000)
      if (!Number.isSafeInteger(since)) throw new BorgError('usage', `--since ${flags.since}: an ISO date or seconds since 1970`)
    }
    const author = flags.author?.toLowerCase()
    const records = (await withLocalNode(borgHome(), (node) => listRecords(node, args.collection, { author, since }))).map(viewOf)
    this.emit(records, () => (records.length === 0 ? `${args.collection}: no records` : records.map((r) => `${r.id.slice(0, 16)}…  ${new Date(r.created * 1000).toISOString().slice(0, 19)}  ${r.author.slice(0, 12)}…  ${(typeof r.content === 'string' ? r.content : JSON.stringify(r.content)).slice(0, 80)}`)))
  }
}
