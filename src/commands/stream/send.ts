import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamSend extends BorgCommand {
  static override summary = 'Send a file straight to a node (DStream): it pulls the chunks, checks each and the whole, resumes'

  static override description = `The file is hashed once; this command then serves its chunks on a short-lived signed HTTPS endpoint and offers the stream to the node at --to (any of its shard cell's ports). The node pulls the chunks with several in flight, checks each against its announced hash, asks again for missing or bad ones, and checks the whole stream's hash before the file appears in its streams/received directory. Run the same command again after an interruption and it resumes where the node stopped. The node must be able to reach this machine at --advertise.`

  static override examples = ['<%= config.bin %> stream send movie.mkv --to 10.0.0.7:13355', '<%= config.bin %> stream send backup.tar --to 127.0.0.1:13355 --json']

  static override args = { file: Args.string({ description: 'The file to send.', required: true }) }
  static override flags = {
    to: Flags.string({ description: 'HOST:PORT of the receiving node (its shard cell).', required: true }),
    advertise: Flags.string({ description: 'Address the receiver reaches this machine at (default: 127.0.0.1 for a loopback receiver, else this machine\'s first external IPv4).' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StreamSend)
    const [{ sendFile }, { loadOrCreateNodeKey }, { nodeSigner }, { loadOrCreateTlsMaterial }, { paths }, { progressBar }, { parseEndpoint }, { networkInterfaces }] = await Promise.all([
      import('../../core/stream/sender.js'),
      import('../../core/identity/node-key.js'),
      import('../../core/identity/signer.js'),
      import('../../core/net/cert.js'),
      import('../../core/store/paths.js'),
      import('../../cli/ui/progress.js'),
      import('../../core/net/endpoint.js'),
      import('node:os'),
    ])
    const home = borgHome()
    const key = await loadOrCreateNodeKey(home)
    const to = parseEndpoint(flags.to)
    const loopback = to.host === '127.0.0.1' || to.host === 'localhost' || to.host === '::1'
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address
    const advertiseHost = flags.advertise ?? (loopback ? '127.0.0.1' : (external ?? '127.0.0.1'))
    const tls = await loadOrCreateTlsMaterial(paths.tlsDir(home), 'borg stream sender')
    const bar = progressBar(`send ${args.file}`, !this.jsonOutput)
    try {
      const result = await sendFile({ path: args.file, to: { endpoint: flags.to }, signer: nodeSigner(key), tls, advertiseHost, listenHost: loopback ? '127.0.0.1' : '0.0.0.0', onProgress: (r, t) => bar.update(r, t) })
      bar.finish()
      this.emit({ streamId: result.streamId, bytes: result.bytes, chunks: result.total, path: result.path ?? null }, () => `sent ${result.bytes} bytes (stream ${result.streamId}); the node keeps it at ${result.path}`)
    } finally {
      bar.finish()
    }
  }
}
