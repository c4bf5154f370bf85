/** npm run man: writes man/borg.1 from the command table and its help (src/cli/man.ts). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { manPage } from '../src/cli/man.js'
import { loadConfig } from '../src/main.js'

mkdirSync('man', { recursive: true })
writeFileSync('man/borg.1', manPage(await loadConfig()))
process.stderr.write('wrote man/borg.1\n')
