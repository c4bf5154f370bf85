/**
 * `borg --version`, `-v` and `borg version`: the borg version and the runtime
 * really running it (bun inside the compiled binary, node otherwise; oclif's
 * own line names a Node version even in the binary, where none is installed).
 */
import type { Interfaces } from '@oclif/core'

export const VERSION_WORDS: readonly string[] = ['--version', '-v', 'version']

export interface VersionInfo {
  name: string
  version: string
  platform: string
  arch: string
  runtime: 'bun' | 'node'
  runtimeVersion: string
}

export function versionInfo(config: Interfaces.Config, versions: NodeJS.ProcessVersions = process.versions): VersionInfo {
  const bun = (versions as { bun?: string }).bun
  return {
    name: config.bin,
    version: config.version,
    platform: process.platform,
    arch: process.arch,
    runtime: bun ? 'bun' : 'node',
    runtimeVersion: bun ?? versions.node,
  }
}

/** One line, in the shape oclif uses: `borg/0.1.0 linux-x64 bun-v1.2.3`. */
export function versionLine(info: VersionInfo): string {
  return `${info.name}/${info.version} ${info.platform}-${info.arch} ${info.runtime}-v${info.runtimeVersion}`
}
