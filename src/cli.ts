#!/usr/bin/env node
// The single entry point for tsx, the node bundle (dist/borg.mjs) and the compiled binary.
import { main } from './main.js'

await main()
