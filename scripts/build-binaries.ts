/**
 * Builds borg with bun:
 *   bun scripts/build-binaries.ts                 # linux-x64 and linux-arm64 binaries in out/
 *   bun scripts/build-binaries.ts bun-linux-x64   # one target
 *   bun scripts/build-binaries.ts node            # dist/borg.mjs, a single-file bundle for Node >= 20.19
 *
 * Cross targets download bun's runtime for that platform from registry.npmjs.org
 * (the only place bun fetches it from). For an offline build point
 * BORG_BUN_RUNTIME_bun_linux_arm64 at an extracted `npm pack @oven/bun-linux-aarch64@<version>`.
 */
import type { BunPlugin } from 'bun'
import pkg from '../package.json' with { type: 'json' }

// ink imports react-devtools-core (an optional peer used only with DEV=true). Left
// unresolved the build fails; marked external every command of the binary dies at
// start-up. A no-op stub is the fix (toolchain.md §4).
const stubOptionalDeps: BunPlugin = {
  name: 'stub-optional-deps',
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, (args) => ({ path: args.path, namespace: 'borg-stub' }))
    // oclif requires typescript (3.4 MB) only to read a plugin's tsconfig.json in development; borg hands
    // oclif its commands in memory, so that never happens. A stub that throws is what oclif's try/catch expects.
    build.onResolve({ filter: /^typescript$/ }, (args) => ({ path: args.path, namespace: 'borg-absent' }))
    // @achingbrain/ssdp (UPnP discovery, for port mapping) reads its own package.json next to it at run
    // time for a version string: nothing is next to a bundle or inside the binary. Inline it.
    build.onLoad({ filter: /@achingbrain[/\\]ssdp[/\\]dist[/\\]src[/\\]ssdp\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text()
      const own = await Bun.file(args.path.replace(/dist[/\\]src[/\\]ssdp\.js$/, 'package.json')).json()
      const inlined = source.replace("req('../../package.json')", JSON.stringify({ name: own.name, version: own.version }))
      if (inlined === source) throw new Error('@achingbrain/ssdp changed how it reads its package.json: update scripts/build-binaries.ts')
      return { contents: inlined, loader: 'js' }
    })
    build.onLoad({ filter: /.*/, namespace: 'borg-stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} }',
      loader: 'js',
    }))
    build.onLoad({ filter: /.*/, namespace: 'borg-absent' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the borg build`)})`,
      loader: 'js',
    }))
  },
}

/**
 * Every help screen, rendered here with colour on (bold and underline; the
 * binary strips them where colour is off) and embedded in the build, so help
 * needs neither oclif nor the command modules at run time (src/cli/fast-help.ts).
 */
async function helpBook(): Promise<string> {
  const color = process.env.FORCE_COLOR
  process.env.FORCE_COLOR = '1' // read by oclif's colour library when it loads, just below
  try {
    const { loadConfig } = await import('../src/main.js')
    const { renderHelpBook } = await import('../src/cli/help-book.js')
    return JSON.stringify(await renderHelpBook(() => loadConfig()))
  } finally {
    if (color === undefined) delete process.env.FORCE_COLOR
    else process.env.FORCE_COLOR = color
  }
}
let book: string | undefined
const defines = async () => ({ 'process.env.BORG_BUILD_VERSION': JSON.stringify(pkg.version), 'process.env.BORG_HELP_BOOK': JSON.stringify((book ??= await helpBook())) })

const KNOWN_TARGETS = ['node', 'bun-linux-x64', 'bun-linux-arm64', 'bun-linux-x64-baseline', 'bun-linux-x64-musl', 'bun-linux-arm64-musl']

async function buildNodeBundle(): Promise<void> {
  const result = await Bun.build({
    entrypoints: ['src/cli.ts'],
    target: 'node',
    format: 'esm',
    outdir: 'dist',
    naming: 'borg.mjs',
    minify: true,
    sourcemap: 'linked',
    define: await defines(),
    plugins: [stubOptionalDeps],
    throw: false,
  })
  if (!result.success) fail(result.logs)
  console.error('built dist/borg.mjs')
}

async function buildBinary(target: string): Promise<void> {
  const outfile = `out/borg-${target.replace(/^bun-/, '')}`
  const executablePath = process.env[`BORG_BUN_RUNTIME_${target.replaceAll('-', '_')}`]
  const started = performance.now()
  const result = await Bun.build({
    entrypoints: ['src/cli.ts'],
    compile: {
      target: target as Bun.Build.CompileTarget,
      outfile,
      ...(executablePath ? { executablePath } : {}),
      // SECURITY: by default a compiled binary loads .env and bunfig.toml from the
      // user's current directory (a bunfig preload runs arbitrary code). Never.
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    minify: true,
    bytecode: process.env.BORG_BYTECODE !== '0', // start-up ~120 ms -> ~25 ms
    format: 'esm',
    sourcemap: 'linked',
    define: await defines(),
    plugins: [stubOptionalDeps],
    throw: false,
  })
  if (!result.success) fail(result.logs)
  console.error(`built ${outfile} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

function fail(logs: unknown): never {
  console.error(logs)
  process.exit(1)
}

const targets = process.argv.slice(2)
if (targets.length === 0) targets.push('bun-linux-x64', 'bun-linux-arm64')
for (const target of targets) {
  if (!KNOWN_TARGETS.includes(target)) fail(`unknown target ${target}; known: ${KNOWN_TARGETS.join(', ')}`)
  if (target === 'node') await buildNodeBundle()
  else await buildBinary(target)
}
