#!/usr/bin/env node
// The single entry point for tsx, the node bundle (dist/borg.mjs) and the compiled binary.
// Help screens come from the book the build embedded (src/cli/fast-help.ts); everything else loads the CLI.
import { printFastHelp } from './cli/fast-help.js'

if (!printFastHelp(process.argv.slice(2), process.env.BORG_HELP_BOOK)) {
  const { main } = await import('./main.js')
  await main()
}
