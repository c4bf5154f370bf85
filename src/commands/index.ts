/**
 * The explicit command table (oclif "explicit" strategy). Ids use ':' inside
 * oclif; users type spaces: `borg id new`.
 */
import type { Command } from '@oclif/core'
import BenchServe from './bench/serve.js'
import BenchWire from './bench/wire.js'
import IdNew from './id/new.js'
import IdRestore from './id/restore.js'
import IdShow from './id/show.js'
import LedgerGenesis from './ledger/genesis.js'
import LedgerStatus from './ledger/status.js'
import MailAllow from './mail/allow.js'
import MailBlock from './mail/block.js'
import MailLs from './mail/ls.js'
import MailRead from './mail/read.js'
import MailRm from './mail/rm.js'
import MailSend from './mail/send.js'
import RecordsGet from './records/get.js'
import RecordsLs from './records/ls.js'
import RecordsPut from './records/put.js'
import RecordsRm from './records/rm.js'
import RecordsSync from './records/sync.js'
import Services from './services.js'
import Conduit from './conduit.js'
import Ui from './ui.js'
import WalletBalance from './wallet/balance.js'
import WalletDelegate from './wallet/delegate.js'
import WalletHistory from './wallet/history.js'
import WalletSend from './wallet/send.js'
import NodeBroadcast from './node/broadcast.js'
import NodeJoin from './node/join.js'
import NodeLeave from './node/leave.js'
import NodePing from './node/ping.js'
import NodeSend from './node/send.js'
import NodeServe from './node/serve.js'
import NodeStatus from './node/status.js'
import NodeTime from './node/time.js'
import NodeTree from './node/tree.js'
import ShardGet from './shard/get.js'
import ShardLs from './shard/ls.js'
import ShardPin from './shard/pin.js'
import ShardPut from './shard/put.js'
import ShardRm from './shard/rm.js'
import ShardStat from './shard/stat.js'
import ShardUnpin from './shard/unpin.js'
import StreamAccept from './stream/accept.js'
import StreamAllow from './stream/allow.js'
import StreamDeny from './stream/deny.js'
import StreamGet from './stream/get.js'
import StreamPending from './stream/pending.js'
import StreamSend from './stream/send.js'
import StreamServe from './stream/serve.js'

export const COMMANDS: Record<string, Command.Class> = {
  'bench:serve': BenchServe,
  'bench:wire': BenchWire,
  'id:new': IdNew,
  'id:restore': IdRestore,
  'id:show': IdShow,
  'ledger:genesis': LedgerGenesis,
  'ledger:status': LedgerStatus,
  'mail:allow': MailAllow,
  'mail:block': MailBlock,
  'mail:ls': MailLs,
  'mail:read': MailRead,
  'mail:rm': MailRm,
  'mail:send': MailSend,
  'records:get': RecordsGet,
  'records:ls': RecordsLs,
  'records:put': RecordsPut,
  'records:rm': RecordsRm,
  'records:sync': RecordsSync,
  services: Services,
  conduit: Conduit,
  ui: Ui,
  'wallet:balance': WalletBalance,
  'wallet:delegate': WalletDelegate,
  'wallet:history': WalletHistory,
  'wallet:send': WalletSend,
  'node:broadcast': NodeBroadcast,
  'node:join': NodeJoin,
  'node:leave': NodeLeave,
  'node:ping': NodePing,
  'node:send': NodeSend,
  'node:serve': NodeServe,
  'node:status': NodeStatus,
  'node:time': NodeTime,
  'node:tree': NodeTree,
  'shard:get': ShardGet,
  'shard:ls': ShardLs,
  'shard:pin': ShardPin,
  'shard:put': ShardPut,
  'shard:rm': ShardRm,
  'shard:stat': ShardStat,
  'shard:unpin': ShardUnpin,
  'stream:accept': StreamAccept,
  'stream:allow': StreamAllow,
  'stream:deny': StreamDeny,
  'stream:get': StreamGet,
  'stream:pending': StreamPending,
  'stream:send': StreamSend,
  'stream:serve': StreamServe,
}
