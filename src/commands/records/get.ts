import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class RecordsGet extends BorgCommand {
  static override summary = 'Print a record held by the local node, by id'

  static override description = `Looks in every collection the local node holds; the record's signature is checked here. Prints its JSON content (bytes as hex); --json prints the whole record (id, collection, author, times, content). Exit statuses: 0 found; 2 usage (not a 64-hex id); 3 no such record here; 4 the local node does not answer; 5 a record that fails verification.`

  static override examples = ['<%= config.bin %> records get 3f2a…', '<%= config.bin %> records get 3f2a… --json | jq .author']

  static override args = { id: Args.string({ description: 'The record id (64 hex digits).', required: true }) }

  async run(): Promise<void> {
    const { args } = await this.parse(RecordsGet)
    const [{ withLocalNode }, { getRecord, viewOf }] = await Promise.all([import('../../core/node/local-client.js'), import('../../client/records-client.js')])
    const view = viewOf(await withLocalNode(borgHome(), (node) => getRecord(node, args.id.toLowerCase())))
    this.emit(view, () => (typeof view.content === 'string' ? view.content : JSON.stringify(view.content)))
  }
}
