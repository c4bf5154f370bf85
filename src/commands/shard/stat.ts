import { Args } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardStat extends BorgCommand {
  static override summary = 'Show a stored file: its manifest and each chunk with its live holders'

  static override examples = ['<%= config.bin %> shard stat 3f9a…', '<%= config.bin %> shard stat 3f9a… --json | jq ".chunks[].holders | length"']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }
  static override flags = { node: storageNodeFlag() }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShardStat)
    const [{ openSession, statFile }] = await Promise.all([import('../../client/session.js')])
    const session = await openSession({ home: borgHome(), node: flags.node, as: 'node', input: terminal.open() })
    try {
      const { manifest: m, chunks } = await statFile(session, args.id.trim().toLowerCase())
      const out = {
        id: m.id,
        owner: m.owner,
        name: m.name ?? null,
        mime: m.mime ?? null,
        size: m.size,
        sha256: m.sha256,
        chunkSize: m.chunkSize,
        created: new Date(m.created).toISOString(),
        expires: m.expires === undefined ? null : new Date(m.expires).toISOString(),
        encrypted: !!m.enc,
        chunks,
      }
      this.emit(out, () => [
        `file ${m.id}${m.name ? ` (${m.name})` : ''}: ${m.size} bytes in ${chunks.length} chunks, created ${out.created}${m.enc ? ', encrypted' : ''}`,
        ...chunks.map((c) => `  #${c.index} ${c.hash.slice(0, 16)}… ${c.bytes} B  ${c.holders.length} holders ${c.holders.map((h) => h.slice(0, 10)).join(' ')}`),
      ])
    } finally {
      await session.close()
    }
  }
}
