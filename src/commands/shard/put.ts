import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { quietFlag, storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class ShardPut extends BorgCommand {
  static override summary = 'Store a file (or stdin) in the network: chunked, content-addressed, replicated; prints its id'

  static override description = `The input is cut into 1 MiB chunks, each named by its SHA-256 and sent to the N nodes that rank highest for it (rendezvous hashing over the shard cells, checkable by any node). A manifest listing the chunks and the whole-file hash is signed with your identity (BORG_PASSPHRASE or a prompt unlocks it) and stored on several nodes. The id printed is the manifest's hash: the same bytes put twice give the same id.

--encrypt encrypts every chunk on this machine with a key derived from your identity: holders only ever see ciphertext, and you can read the file on any machine after "borg id restore".`

  static override examples = [
    '<%= config.bin %> shard put backup.tar.gz',
    'tar cz photos | <%= config.bin %> shard put - --name photos.tar.gz --json',
    '<%= config.bin %> shard put secrets.kdbx --encrypt --replicas 5',
  ]

  static override args = { file: Args.string({ description: 'The file to store, or - for stdin.', required: true }) }
  static override flags = {
    replicas: Flags.integer({ char: 'r', description: 'Copies of every chunk (capped by the number of shard cells).', default: 3, min: 1, max: 8 }),
    encrypt: Flags.boolean({ description: 'Encrypt on this machine for your identity only.', default: false }),
    name: Flags.string({ description: 'Name to record (default: the file name).' }),
    mime: Flags.string({ description: 'MIME type to record, e.g. video/mp4.' }),
    expires: Flags.string({ description: 'When holders may drop it: an ISO date or a duration like 30d, 12h.' }),
    node: storageNodeFlag(),
    quiet: quietFlag(),
    replication: Flags.string({
      description: 'Who sends the copies: direct (this machine sends every copy) or pull (it sends one; the other holders pull it from that one, so the upload goes out once).',
      options: ['direct', 'pull'],
      default: 'direct',
    }),
    'chunk-size': Flags.string({ description: 'Chunk size, e.g. 256K or 4M (benchmarks; the default is measured).', hidden: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShardPut)
    const [{ openSession, putFile }, { parseExpiry }, { progressBar }] = await Promise.all([
      import('../../client/session.js'),
      import('../../core/storage/expiry.js'),
      import('../../cli/ui/progress.js'),
    ])
    const expires = flags.expires === undefined ? undefined : parseExpiry(flags.expires, Date.now())
    const chunkSize = flags['chunk-size'] === undefined ? undefined : (await import('../../core/storage/size.js')).parseSize(flags['chunk-size'], '--chunk-size')
    const session = await openSession({ home: borgHome(), node: flags.node, as: 'identity', input: terminal.open() })
    const bar = progressBar(`put ${args.file === '-' ? 'stdin' : args.file}`, { enabled: !this.jsonOutput && !flags.quiet })
    try {
      const started = performance.now()
      const result = await putFile(session, { path: args.file, replicas: flags.replicas, encrypt: flags.encrypt, name: flags.name, mime: flags.mime, expires, chunkSize, replication: flags.replication as 'direct' | 'pull', onProgress: (d, t) => bar.update(d, t) })
      bar.finish()
      const n = result.replicas
      if (result.capped) this.note(`only ${n} shard cell${n === 1 ? '' : 's'} in the network: ${n} ${n === 1 ? 'copy' : 'copies'} of each chunk instead of ${flags.replicas} (audits add the rest as nodes join)`)
      if (result.fewestCopies < result.replicas) this.note(`some chunks got only ${result.fewestCopies} of ${result.replicas} copies (holders refused or were down); the scrub will add the rest`)
      const m = result.manifest
      this.emit(
        { id: m.id, size: m.size, chunks: m.chunks.length, replicas: result.replicas, fewestCopies: result.fewestCopies, manifestCopies: result.manifestCopies, encrypted: !!m.enc, sha256: m.sha256, transferMs: Math.round(performance.now() - started) },
        () => m.id,
      )
    } finally {
      bar.finish()
      await session.close()
    }
  }
}
