/** What `borg conduit` and `borg ui` start: the API over the network, behind the loopback server. */
import { BorgError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import { ConduitServer } from './conduit-server.js'
import { conduitApi } from './conduit-api.js'

export interface StartOptions {
  home: string
  port: number
  node?: string
  log: Logger
  env?: NodeJS.ProcessEnv
}

export interface RunningConduit {
  server: ConduitServer
  close(): Promise<void>
}

export async function startConduit(options: StartOptions): Promise<RunningConduit> {
  const api = await conduitApi({ home: options.home, node: options.node, log: options.log, env: options.env })
  const server = await ConduitServer.start({ port: options.port, api, log: options.log }).catch(async (error: NodeJS.ErrnoException) => {
    await api.close()
    throw error.code === 'EADDRINUSE' ? new BorgError('unavailable', `port ${options.port} on 127.0.0.1 is in use`) : error
  })
  return {
    server,
    close: async () => {
      await server.close()
      await api.close()
    },
  }
}
