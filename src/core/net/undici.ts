// The only place undici is imported from. Bun maps the bare specifier 'undici'
// to its own built-in shim, which silently ignores Agent/connect options (and so
// would ignore certificate pinning); the file path gets the real package in both
// node and the compiled binary (toolchain.md §6.1).
import { fetch as undiciFetch } from 'undici/index.js'

export * from 'undici/index.js'

// Loading undici 7 installs its own Agent as the process's global dispatcher, which node 20's
// built-in fetch then fails to drive ("fetch failed", UND_ERR_INVALID_ARG): a library calling the
// global fetch (UPnP port mapping) would break. Under node, the global fetch becomes undici's own,
// which matches that dispatcher. Bun's fetch does not use it and stays.
if (!process.versions.bun) globalThis.fetch = undiciFetch as unknown as typeof globalThis.fetch
