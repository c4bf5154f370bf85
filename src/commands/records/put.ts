import { Args, Flags } from '@oclif/core'
import { readFile } from 'node:fs/promises'
import { BorgCommand } from '../../cli/base-command.js'
import { terminal } from '../../cli/prompt.js'
import { borgHome } from '../../core/store/paths.js'

export default class RecordsPut extends BorgCommand {
  static override summary = 'Sign a record into COLLECTION and store it at the local node, which syncs it'

  static override description = `The content is FILE (or stdin with - or nothing): JSON by default, any bytes with --bytes; at most 64 KiB. It is signed with this home's node key (--identity: your identity, unlocked with BORG_PASSPHRASE or a prompt) and stored by the local node, which starts the collection if it holds none; from there it reaches every node holding the collection within a few sync rounds (docs/records.md). Prints the record's id. Exit statuses: 0 stored (or held already); 2 usage (a bad collection name, content that is not JSON); 3 no node key or identity; 4 the local node does not answer; 5 a wrong passphrase, or a record the node finds expired; 7 refused by the collection's rules (quota, moderation, size).`

  static override examples = ['echo \'{"text":"hello"}\' | <%= config.bin %> records put notes', '<%= config.bin %> records put photos --bytes cat.jpg --ttl 86400']

  static override args = {
    collection: Args.string({ description: 'The collection (1 to 64 of a-z 0-9 . _ -).', required: true }),
    file: Args.string({ description: 'The content (- or nothing: stdin).' }),
  }

  static override flags = {
    bytes: Flags.boolean({ description: 'Store the content as bytes, not JSON.', default: false }),
    ttl: Flags.integer({ description: 'Seconds until the record expires everywhere (default: the collection’s retention).', min: 1 }),
    identity: Flags.boolean({ description: 'Sign with your identity instead of the node key.', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecordsPut)
    const [{ loadSigner }, { withLocalNode }, { putRecord }] = await Promise.all([import('../../core/identity/load-signer.js'), import('../../core/node/local-client.js'), import('../../client/records-client.js')])
    const home = borgHome()
    const content = await readContent(args.file)
    const { signer } = await loadSigner(home, flags.identity ? 'identity' : 'node', terminal.open())
    const view = await withLocalNode(home, (node) => putRecord(node, signer, args.collection, content, { json: !flags.bytes, ttlSeconds: flags.ttl }))
    this.emit(view, () => view.id)
  }
}

async function readContent(file: string | undefined): Promise<Uint8Array> {
  if (file && file !== '-') return new Uint8Array(await readFile(file))
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return new Uint8Array(Buffer.concat(chunks))
}
