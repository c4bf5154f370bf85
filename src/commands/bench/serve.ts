import { BorgCommand } from '../../cli/base-command.js'

export default class BenchServe extends BorgCommand {
  static override summary = 'The far side of `borg bench wire` (started by it in a second process)'
  static override hidden = true

  async run(): Promise<void> {
    await this.parse(BenchServe)
    const { startBenchServer } = await import('../../core/bench/bench-server.js')
    const server = await startBenchServer()
    process.stdout.write(`${JSON.stringify({ borg: server.borg, plain: server.plain, nodeId: server.nodeId })}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
      process.stdin.on('end', resolve)
    })
    await server.close()
  }
}
