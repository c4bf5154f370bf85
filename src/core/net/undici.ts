// The only place undici is imported from. Bun maps the bare specifier 'undici'
// to its own built-in shim, which silently ignores Agent/connect options (and so
// would ignore certificate pinning); the file path gets the real package in both
// node and the compiled binary (toolchain.md §6.1).
export * from 'undici/index.js'
