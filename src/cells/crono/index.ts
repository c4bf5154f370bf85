/**
 * The crono cell: network time. The root's clock is network time; it flows
 * down the crono tree by NTP-style exchanges, so every node knows its offset
 * from network time and an error bound (docs/time.md). DNA numbers are the
 * original's.
 */
import type { CellType } from '../../core/cell/types.js'
import { CRONO_CODECS } from './messages.js'
import { TimeOrgan } from './time-organ.js'

export const cronoCell: CellType = {
  dna: { name: 'crono', netPort: 13396, recpPort: 13397, monPort: 13398, maxChildren: 3 },
  summary: "network time: the root's clock flows down the tree, each node knows its offset and error bound",
  organs: (context) => [new TimeOrgan(context)],
  codecs: CRONO_CODECS,
}

export { TimeOrgan, DEFAULT_TIME_OPTIONS, sameLineage, type TimeOrganOptions, type TimeOrganContext, type OffsetStep, type Lineage } from './time-organ.js'
export { timeStatusOf, parseTimeStatus, formatTimeStatus, type TimeStatus, type TimeCounters } from './status.js'
export { CRONO_KIND, CRONO_CODECS } from './messages.js'
