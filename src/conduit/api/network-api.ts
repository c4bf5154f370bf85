/**
 * /api/network…: what the network pane draws — the nodes the conduit knows
 * with their scores and its recent attempts (failover made visible), one
 * cell type's tree over those nodes as their monitors report it, network
 * time with its error bound, and the live service registry.
 */
import { BorgError } from '../../core/errors.js'
import type { ApiContext } from './context.js'

export function networkApi(ctx: ApiContext) {
  return {
    get: {
      network: async () => ({ nodes: ctx.network.pool.list(), attempts: ctx.network.pool.attempts.slice(-20), registry: ctx.network.lastRefresh ?? null }),
      'network/tree': async (query: URLSearchParams) => {
        const type = query.get('type') ?? 'shard'
        if (!/^[a-z][a-z0-9-]{0,31}$/.test(type)) throw new BorgError('invalid-input', 'type: a cell type name')
        return ctx.network.tree(type)
      },
      'network/time': async () => ctx.network.time(),
      services: async () => ctx.network.registry(),
    },
  }
}
