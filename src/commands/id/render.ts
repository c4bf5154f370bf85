/** Human renderings shared by the `borg id` commands (JSON output needs none). */
import { isInsecureKdf } from '../../core/identity/keystore.js'
import type { IdentitySummary } from '../../core/identity/identity.js'

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
}

export function identityLines(identity: IdentitySummary & { verified?: boolean; backup?: string }): string[] {
  const { N, r, p } = identity.kdf
  const rows: Array<[string, string]> = [
    ['address', identity.address],
    ['publicKey', identity.publicKey],
    ['path', identity.path],
    ['created', identity.created],
    ['nodeId', identity.nodeId ?? 'none yet (created when this home first runs a node)'],
    ['keystore', identity.keystore],
  ]
  if (isInsecureKdf(identity.kdf)) rows.push(['kdf', `scrypt N=${N} r=${r} p=${p} (INSECURE test setting)`])
  if (identity.verified !== undefined) {
    rows.push(['verified', identity.verified ? 'yes: unlocked, and the header matches the decrypted key' : 'no (add --verify; needs the passphrase)'])
  }
  if (identity.backup) rows.push(['replaced', `previous keystore kept at ${identity.backup}`])
  return table(rows)
}

/** Numbered words, left to right then down, so pasting the lines back into `borg id restore` keeps the order. */
export function mnemonicLines(mnemonic: string, columns = 4): string[] {
  const words = mnemonic.split(' ')
  const lines: string[] = []
  for (let start = 0; start < words.length; start += columns) {
    const cells = words.slice(start, start + columns).map((word, i) => `${String(start + i + 1).padStart(2)}. ${word.padEnd(8)}`)
    lines.push(`  ${cells.join('   ').trimEnd()}`)
  }
  return lines
}
