/**
 * The ledger cell: Borg Shells (docs/ledger.md). Its DNA keeps the original
 * peerPaysCell's numbers. With a pinned genesis (BORG_LEDGER_GENESIS, or
 * `genesis.json` in the cell's directory) a node keeps the certified state,
 * answers wallets and catches up from peers; the representatives named by the
 * epoch's committee also vote. BORG_LEDGER_SYNC_MS sets how often a node asks
 * a peer for what it missed (default 1 s), BORG_LEDGER_EPOCH_MS how often a
 * representative proposes the next epoch's committee when weights moved (default 10 min).
 */
import { envMs } from '../../core/storage/size.js'
import type { CellType } from '../../core/cell/types.js'
import { LedgerOrgan, DEFAULT_LEDGER_OPTIONS } from './ledger-organ.js'
import { LEDGER_CODECS } from './messages.js'

export const ledgerCell: CellType = {
  dna: { name: 'ledger', netPort: 13390, recpPort: 13392, monPort: 13391, maxChildren: 25 },
  summary: 'Borg Shells: one chain per account, blocks final by certificates of delegated weight',
  organs: (context) =>
    context.dataDir
      ? [new LedgerOrgan(context, {
            genesisFile: process.env.BORG_LEDGER_GENESIS || undefined,
            syncMs: envMs(process.env, 'BORG_LEDGER_SYNC_MS') ?? DEFAULT_LEDGER_OPTIONS.syncMs,
            epochMs: envMs(process.env, 'BORG_LEDGER_EPOCH_MS') ?? DEFAULT_LEDGER_OPTIONS.epochMs,
          })]
      : [],
  codecs: LEDGER_CODECS,
}

export { LedgerOrgan } from './ledger-organ.js'
export { LEDGER_KIND, LEDGER_CODECS, type LedgerStatus, type AccountReply } from './messages.js'
