import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamPending extends BorgCommand {
  static override summary = 'List stream offers waiting for you to accept them, and the keys you allowed'

  static override description = `Offers from keys that are not yours and not allowed wait here, unpulled, for an hour from their arrival (at most 16, 4 per key); a restart of the node forgets them. Accept one with "borg stream accept ID", or take every offer of its key with "borg stream allow KEY". Exit statuses: 0 done; 3 no node runs from this home.`

  static override examples = ['<%= config.bin %> stream pending', '<%= config.bin %> stream pending --json']

  async run(): Promise<void> {
    await this.parse(StreamPending)
    const { listPending } = await import('../../core/stream/control.js')
    const result = await listPending(borgHome())
    this.emit(result, () => [
      ...(result.pending.length === 0 ? ['no pending offers'] : result.pending.map((p) => `${p.id}  ${p.size} bytes  ${p.name ?? p.streamId}  from ${p.sender}  until ${new Date(p.expiresAt).toISOString()}`)),
      ...(result.allowed.length === 0 ? [] : ['allowed keys:', ...result.allowed.map((k) => `  ${k}`)]),
    ])
  }
}
