/**
 * Where borg keeps its files. `BORG_HOME` wins (tests and several nodes on one
 * machine rely on it); otherwise `$XDG_DATA_HOME/borg`, else `~/.local/share/borg`.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function borgHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BORG_HOME) return env.BORG_HOME
  const xdg = env.XDG_DATA_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), 'borg')
}

export const paths = {
  identity: (home: string) => join(home, 'identity.json'),
  nodeKey: (home: string) => join(home, 'node', 'node-key.json'),
  tlsDir: (home: string) => join(home, 'node', 'tls'),
  recordsDir: (home: string) => join(home, 'node', 'records'),
}
