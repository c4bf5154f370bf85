import { Flags } from '@oclif/core'
import { BorgCommand } from '../cli/base-command.js'
import { borgHome } from '../core/store/paths.js'

export default class Conduit extends BorgCommand {
  static override summary = 'Serve borg to a browser on this machine, keeping the keys in this process'

  static override description = `A local HTTP server bound to 127.0.0.1 and [::1] only (docs/conduit.md). It prints the page's address once, on stdout, with a fresh token in the URL fragment: browsers never send a fragment to a server, and the conduit never logs it. Every request must name the conduit's own Host; API requests need the token as a bearer; state-changing ones also the conduit's own Origin and application/json. It runs in the foreground until interrupted. Exit statuses: 0 stopped; 4 the port is taken.`

  static override examples = ['<%= config.bin %> conduit', '<%= config.bin %> conduit --port 8080']

  static override flags = {
    node: Flags.string({ description: 'HOST:PORT of any port of a node to start from (default: the node running from this BORG_HOME). The conduit then follows the service registry.' }),
    port: Flags.integer({ description: 'The port (default: one the system picks).', default: 0, min: 0, max: 65535 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Conduit)
    const [{ startConduit }, { createLogger }] = await Promise.all([import('../conduit/start.js'), import('../core/log.js')])
    const running = await startConduit({ home: borgHome(), port: flags.port, node: flags.node, log: createLogger('conduit') })
    const conduit = running.server
    this.emit({ url: conduit.url, port: conduit.port }, () => conduit.url)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await running.close()
  }
}
