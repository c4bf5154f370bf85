import { Flags } from '@oclif/core'
import { BorgCommand } from '../cli/base-command.js'
import { borgHome } from '../core/store/paths.js'

export default class Ui extends BorgCommand {
  static override summary = 'Open borg in your browser (starts the conduit, which keeps the keys)'

  static override description = `Starts \`borg conduit\` (docs/conduit.md) and opens its page in your browser: the browser named by $BROWSER, else xdg-open. The page's address carries a fresh token in its fragment (never sent to a server, never logged); if no browser can be started the address is printed for you to open. Runs in the foreground until interrupted. Exit statuses: 0 stopped; 4 the port is taken.`

  static override examples = ['<%= config.bin %> ui', 'BROWSER=firefox <%= config.bin %> ui --port 8080']

  static override flags = {
    node: Flags.string({ description: 'HOST:PORT of any port of a node to start from (default: the node running from this BORG_HOME). The conduit then follows the service registry.' }),
    port: Flags.integer({ description: 'The conduit\'s port (default: one the system picks).', default: 0, min: 0, max: 65535 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui)
    const [{ startConduit }, { createLogger }, { spawn }] = await Promise.all([import('../conduit/start.js'), import('../core/log.js'), import('node:child_process')])
    const running = await startConduit({ home: borgHome(), port: flags.port, node: flags.node, log: createLogger('conduit') })
    const conduit = running.server
    // The address goes to the browser as an argument of its own process, not through a shell or a log.
    const browser = process.env.BROWSER?.trim() || 'xdg-open'
    const opened = await new Promise<boolean>((resolve) => {
      const child = spawn(browser, [conduit.url], { stdio: 'ignore', detached: true })
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    })
    this.emit({ port: conduit.port, opened, ...(opened ? {} : { url: conduit.url }) }, () => (opened ? `borg is open in your browser (conduit on 127.0.0.1:${conduit.port}; Ctrl-C stops it)` : `open ${conduit.url} in your browser (Ctrl-C stops the conduit)`))
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await running.close()
  }
}
