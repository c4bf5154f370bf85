import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { quietFlag } from '../../cli/flags.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamSend extends BorgCommand {
  static override summary = 'Send a file straight to a node (DStream): it pulls the chunks from your node, checks each and the whole, resumes'

  static override description = `The file is hashed once; then the node running from this BORG_HOME (it needs a shard cell) offers it to the node at --to (any port of its shard cell) and serves its chunks. The receiving node pulls them only from a member of its shard tree, so both nodes must be in the same one. It pulls with several chunks in flight, checks each against its announced hash, asks again for missing or bad ones, and checks the whole stream's hash before the file appears in its streams/received directory. Run the same command again after an interruption and it resumes where the receiver stopped.

A node takes offers only from its owner: its own key, the identity in its home, or keys its owner allowed ("borg stream allow KEY" on that node). Any other offer is held for the owner ("borg stream pending", "borg stream accept ID" there); this command then exits 7 with the offer's id, and your node keeps serving the file for an hour so an accepted offer completes without you. Exit statuses: 0 sent; 3 no node runs from this home; 4 the receiver or the source failed (run again to resume); 7 refused (held for the owner, over the receiver's quota, or this node is not in the receiver's shard tree).`

  static override examples = ['<%= config.bin %> stream send movie.mkv --to 10.0.0.7:13355', '<%= config.bin %> stream send backup.tar --to 127.0.0.1:13355 --json']

  static override args = { file: Args.string({ description: 'The file to send.', required: true }) }
  static override flags = {
    to: Flags.string({ description: 'The receiving node (any port of its shard cell): HOST:PORT, NODEID@HOST:PORT, or NODEID@via:… for a node reached through relays (its `borg node status` shows both).', required: true }),
    quiet: quietFlag(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StreamSend)
    const [{ sendThroughNode }, { progressBar }, { parsePeerRef }] = await Promise.all([
      import('../../core/stream/control.js'),
      import('../../cli/ui/progress.js'),
      import('../../core/net/relayed-endpoint.js'),
    ])
    const to = parsePeerRef(flags.to).text
    const bar = progressBar(`send ${args.file}`, { enabled: !this.jsonOutput && !flags.quiet })
    try {
      const result = await sendThroughNode(borgHome(), { path: args.file, to, onProgress: (r, t) => bar.update(r, t) })
      bar.finish()
      this.emit({ streamId: result.streamId, bytes: result.bytes, chunks: result.total, path: result.path ?? null }, () => `sent ${result.bytes} bytes (stream ${result.streamId}); the node keeps it at ${result.path}`)
    } finally {
      bar.finish()
    }
  }
}
