import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { KIND } from '../../src/core/tree/messages.js'
import { CONTROL, DIRECTORY_KIND } from '../../src/core/node/organism-node.js'
import { NOTE_KIND } from '../../src/core/node/notes.js'
import { DIALBACK_KIND, DIALBACK_NONCE_KIND } from '../../src/core/node/messages.js'
import { CRONO_KIND } from '../../src/cells/crono/index.js'
import { PING_KIND, PONG_KIND } from '../../src/core/node/ping.js'
import { CARD_KIND } from '../../src/core/net/card.js'
import { ACK_KIND, ERROR_KIND, LINK_ACCEPT_KIND, LINK_OPEN_KIND } from '../../src/core/net/http-mapping.js'
import { CELL_TYPES } from '../../src/cells/registry.js'
import { SHARD_KIND } from '../../src/cells/shard/index.js'
import { MANIFEST_KIND } from '../../src/core/storage/manifest.js'
import { REMOVAL_KIND } from '../../src/core/storage/removal.js'
import { FILES_KIND } from '../../src/cells/files/index.js'
import { STREAM_KIND } from '../../src/core/stream/messages.js'
import { FSTREAM_KIND } from '../../src/cells/fstream/index.js'

const protocol = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
const time = readFileSync(new URL('../../docs/time.md', import.meta.url), 'utf8')

describe('docs/protocol.md names every message kind the code sends', () => {
  const kinds = [...Object.values(KIND), DIRECTORY_KIND, ...Object.values(CONTROL), NOTE_KIND, PING_KIND, PONG_KIND, CARD_KIND, ERROR_KIND, DIALBACK_KIND, DIALBACK_NONCE_KIND, LINK_OPEN_KIND, LINK_ACCEPT_KIND, ACK_KIND, ...Object.values(SHARD_KIND), ...Object.values(FILES_KIND), MANIFEST_KIND, REMOVAL_KIND, ...Object.values(STREAM_KIND), ...Object.values(FSTREAM_KIND)]
  it.each(kinds)('%s', (kind) => expect(protocol).toContain(`\`${kind}`))
  it.each(Object.values(CRONO_KIND))('%s (docs/time.md)', (kind) => expect(time).toContain(kind))
})

describe('docs/protocol.md has the DNA table of every cell type', () => {
  it.each(CELL_TYPES.map((c) => c.dna))('$name', (dna) => {
    const row = new RegExp(`\\| \`${dna.name}\` \\| ${dna.netPort} \\| ${dna.recpPort} \\| ${dna.monPort} \\| ${dna.maxChildren} \\|`)
    expect(protocol).toMatch(row)
  })
})
