import { Args, Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { readAsIdentityFlag, storageNodeFlag } from '../../cli/flags.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class StreamServe extends BorgCommand {
  static override summary = 'Serve a stored file over local HTTP with Range support, for browsers and players'

  static override description = `Prints the URL on stdout and serves until interrupted. Players (mpv, ffplay, a browser) can seek: each request fetches only the chunks its byte range needs, a few ahead, each verified against its name before it is sent. Encrypted files need your identity: --identity (a prompt), or BORG_PASSPHRASE set, as for shard get.`

  static override examples = ['<%= config.bin %> stream serve 3f9a… --port 8080', 'mpv "$(<%= config.bin %> stream serve 3f9a… & sleep 1)"']

  static override args = { id: Args.string({ description: 'The file id.', required: true }) }
  static override flags = {
    port: Flags.integer({ description: 'Port to listen on (default: any free one).', default: 0, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    identity: readAsIdentityFlag(),
    node: storageNodeFlag(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StreamServe)
    const [{ openSession, readerRole }, { serveFile }, { checkFileId }] = await Promise.all([
      import('../../client/session.js'),
      import('../../client/range-server.js'),
      import('../../core/storage/names.js'),
    ])
    const id = checkFileId(args.id.trim().toLowerCase())
    const session = await openSession({ home: borgHome(), node: flags.node, as: await readerRole(borgHome(), flags.identity), input: terminal.open() })
    const manifest = await session.client.manifest(id)
    const { server, url } = await serveFile(session.client, manifest, { host: flags.host, port: flags.port, keys: session.keys, log: (l) => this.note(l) })
    this.emit({ url, id, size: manifest.size }, () => url)
    this.note(`serving ${manifest.name ?? id} (${manifest.size} bytes) until interrupted`)
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve())
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await session.close()
  }
}
