/**
 * oclif's configuration, kept in code instead of package.json so the compiled
 * binary never reads a package.json from disk (see src/main.ts).
 */
import pkg from '../package.json' with { type: 'json' }

export const TOPICS = {
  id: { description: 'Create, restore and show your identity (24-word seed phrase, Dogecoin-style address)' },
  node: { description: 'Run a node, check peers and send signed test messages' },
  shard: { description: 'Store files as content-addressed, replicated shards and get them back from any node' },
  stream: { description: 'Send files directly to a node and stream stored files to players' },
  ledger: { description: 'The Borg Shell ledger: a network\'s genesis, its representatives and epochs' },
  wallet: { description: 'Hold and send Borg shells on the signed ledger' },
  records: { description: 'Signed records in collections, kept in sync between nodes (docs/records.md)' },
  ui: { description: 'Open borg in your browser: starts the conduit and hands the page its token' },
  conduit: { description: 'Serve borg to a browser on this machine; the keys stay in the conduit (docs/conduit.md)' },
  services: { description: 'The live service registry: which nodes run which cells, from the local synced set' },
  trade: { description: 'Place and match orders on the peer-to-peer exchange' },
  mail: { description: 'Send and read end-to-end sealed mail between identities' },
  agent: { description: 'Host and talk to agents running on the network' },
  bench: { description: 'Measure this machine: every figure is printed next to a baseline from the same run' },
} as const

export const PJSON = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  type: 'module',
  oclif: {
    bin: 'borg',
    dirname: 'borg',
    topicSeparator: ' ',
    additionalHelpFlags: ['-h'], // borg routes help itself (src/cli/route.ts); this keeps oclif in agreement
    // Never imported (the command table is pre-loaded in main.ts) but oclif requires it to exist.
    commands: { strategy: 'explicit', target: './src/commands/index.ts', identifier: 'COMMANDS' },
    topics: TOPICS,
  },
} as const
