/**
 * The file-manager cell's messages (docs/protocol.md §9). Manifests travel as
 * binary bodies (the signed envelope itself); everything else is JSON.
 */
export const FILES_KIND = {
  members: 'files.members',
  put: 'files.manifest.put',
  get: 'files.manifest.get',
  has: 'files.manifest.has',
  list: 'files.manifest.list',
  rm: 'files.manifest.rm',
  audit: 'files.audit',
} as const

/** At most this many ids per `files.manifest.has`. */
export const MAX_HAS_IDS = 1024

