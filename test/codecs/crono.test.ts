/** The crono kinds (docs/time.md §1) through the codec properties of harness.ts; the reply keeps its documented field order. */
import fc from 'fast-check'
import { CRONO_CODECS, MAX_STRATUM, type SyncReply } from '../../src/cells/crono/messages.js'
import { describeCodecs } from './harness.js'

const ms = fc.double({ min: 0, max: 1e15, noNaN: true }).map((v) => v + 0) // + 0: no -0, which JSON writes as 0

const synced: fc.Arbitrary<SyncReply> = fc
  .record(
    {
      t0: ms,
      t1: ms,
      hold: ms,
      bound: fc.double({ min: 0, max: 1e6, noNaN: true }).map((v) => v + 0),
      root: fc.stringMatching(/^[0-9a-f]{2,80}$/),
      era: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      stratum: fc.integer({ min: 0, max: MAX_STRATUM }),
    },
    { requiredKeys: ['t1', 'hold', 'bound', 'root', 'era', 'stratum'] },
  )
  .map(({ hold, ...rest }) => ({ synced: true as const, ...rest, t2: rest.t1 + hold }))

describeCodecs('crono', CRONO_CODECS, {
  sync: fc.record({ t0: ms }, { requiredKeys: [] }),
  syncReply: fc.oneof(fc.constant({ synced: false as const }), synced),
})
