import { Flags } from '@oclif/core'
import { BorgCommand } from '../../cli/base-command.js'
import { BorgError } from '../../core/errors.js'
import { borgHome } from '../../core/store/paths.js'

export default class NodeLeave extends BorgCommand {
  static override summary = 'Hand this node\'s positions over gracefully and stop it'

  static override description = `Asks the node running from $BORG_HOME (a request signed with its own key) to leave every tree it is in: the root of each tree moves the last node into its position (or, if it is the root, the last node becomes root at once), then the node stops. Waits until the process has exited.`

  static override flags = {
    wait: Flags.integer({ description: 'Seconds to wait for the node to exit.', default: 30, min: 1 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(NodeLeave)
    const home = borgHome()
    const [{ withLocalNode }, { CONTROL }, { readRunning }] = await Promise.all([
      import('../../core/node/local-client.js'),
      import('../../core/node/organism-node.js'),
      import('../../core/node/running-file.js'),
    ])
    const pid = await withLocalNode(home, async (node) => {
      await node.control(CONTROL.leave, {})
      return node.running.pid
    })
    this.note(`node (pid ${pid}) is handing its positions over…`)
    const deadline = Date.now() + flags.wait * 1000
    while (Date.now() < deadline) {
      const still = await readRunning(home).catch(() => undefined)
      if (!still || still.pid !== pid) return this.emit({ left: true, pid }, () => `node (pid ${pid}) left and stopped`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new BorgError('timeout', `the node (pid ${pid}) did not stop within ${flags.wait} s`)
  }
}
