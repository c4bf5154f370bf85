import pkg from '../../package.json' with { type: 'json' }

/** borg's version, inlined at build time (the binary reads no package.json). */
export const BORG_VERSION: string = pkg.version
