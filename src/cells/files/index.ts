/**
 * The file-manager cell: keeps the manifests (which chunks make a file, signed
 * by its owner) and the owners' removals, replicated on the best-ranked file
 * managers by file id and by owner, and audits the chunks of every file it
 * keeps (docs/storage.md). DNA: the original's ftreeFileMgrCell numbers, with
 * the 25 children of its portal file.
 *
 * BORG_FILES_AUDIT_MS sets how often kept files are audited (default 10 min);
 * BORG_FILES_WATCH_MS how often the shard tree is checked for departed cells
 * whose chunks need new copies (default 5 s);
 * BORG_FILES_QUOTA bounds the disk manifests may take (default 1G: about 15,000
 * files of 1 GB each, or millions of small ones).
 */
import { envMs, parseSize } from '../../core/storage/size.js'
import type { CellType } from '../../core/cell/types.js'
import { ManifestOrgan } from './manifest-organ.js'
import { FILES_CODECS } from './messages.js'

export const DEFAULT_FILES_QUOTA = '1G'

export const filesCell: CellType = {
  dna: { name: 'files', netPort: 13351, recpPort: 13381, monPort: 13341, maxChildren: 25 },
  summary: "file managers: owner-signed manifests and removals, replicated by rendezvous hashing; they audit and repair their files' chunks",
  organs: (context) =>
    context.dataDir ? [new ManifestOrgan(context, { steward: stewardOptions(process.env), quotaBytes: parseSize(process.env.BORG_FILES_QUOTA ?? DEFAULT_FILES_QUOTA, 'BORG_FILES_QUOTA') })] : [],
  codecs: FILES_CODECS,
}

function stewardOptions(env: NodeJS.ProcessEnv): { auditMs?: number; watchMs?: number } {
  const ms = (name: string) => envMs(env, name)
  const options: { auditMs?: number; watchMs?: number } = {}
  const auditMs = ms('BORG_FILES_AUDIT_MS')
  const watchMs = ms('BORG_FILES_WATCH_MS')
  if (auditMs !== undefined) options.auditMs = auditMs
  if (watchMs !== undefined) options.watchMs = watchMs
  return options
}

export { ManifestOrgan } from './manifest-organ.js'
export { ManifestStore } from './manifest-store.js'
export { FILES_KIND } from './messages.js'
