// The child side of scripts/lib/helia-baseline.ts. helia-baseline.ts copies this file into the
// Helia cache directory (outside the repo) so that its imports resolve against that directory's
// node_modules; it is never run from scripts/lib and the repo does not depend on these packages.
//
//   node helia-runner.mjs put FILE DIR   node A: adds FILE, prints {"cid","addrs","putMs","bytes"}
//                                        on one stdout line, then serves it until stdin closes
//   node helia-runner.mjs get CID ADDR DIR   node B: dials ADDR, cats CID, prints
//                                        {"getMs","bytes","sha256"} on one stdout line
//
// One Helia node per process: the core Helia class (@helia/utils, what `createHelia` of the
// helia 6 line constructs), the bitswap block broker only (no trustless-gateway broker, no
// routers), and a minimal libp2p: TCP on 127.0.0.1, noise, yamux, identify (bitswap learns that
// the other peer speaks bitswap from identify); no bootstrap, mDNS, DHT, autonat, UPnP or relay.
// Blocks and the datastore are on disk (blockstore-fs, datastore-fs) under DIR.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { join } from 'node:path'

// Node 20 has no Promise.withResolvers (V8 12.2, Node 22). The libp2p/Helia packages call it
// (it-queue via mortice, @libp2p/utils streams, yamux, abort-error) without saying so in their
// `engines`, so give them the spec's definition before they load: hence the dynamic imports.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve, reject
      const promise = new this((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { bitswap } = await import('@helia/block-brokers')
const { unixfs } = await import('@helia/unixfs')
const { Helia } = await import('@helia/utils')
const { identify } = await import('@libp2p/identify')
const { tcp } = await import('@libp2p/tcp')
const { multiaddr } = await import('@multiformats/multiaddr')
const { FsBlockstore } = await import('blockstore-fs')
const { FsDatastore } = await import('datastore-fs')
const { createLibp2p } = await import('libp2p')
const { CID } = await import('multiformats/cid')

const say = (line) => process.stderr.write(`helia-runner ${process.argv[2]}: ${line}\n`)

async function startNode(dir) {
  const blockstore = new FsBlockstore(join(dir, 'blocks'))
  const datastore = new FsDatastore(join(dir, 'data'))
  await blockstore.open()
  await datastore.open()
  const libp2p = await createLibp2p({
    start: false,
    datastore,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
  const helia = new Helia({ libp2p, blockstore, datastore, blockBrokers: [bitswap()], routers: [] })
  await helia.start()
  return { helia, fs: unixfs(helia), blockstore, datastore }
}

async function stopNode(node) {
  await node.helia.stop()
  await node.blockstore.close()
  await node.datastore.close()
}

async function put(file, dir) {
  const node = await startNode(dir)
  // Default @helia/unixfs importer settings: CIDv1, raw leaves, fixed-size 1 MiB (1,048,576 B)
  // chunks, balanced DAG with up to 1024 links per node. Read in 1 MiB pieces from disk.
  let bytes = 0
  const source = (async function* () {
    for await (const piece of createReadStream(file, { highWaterMark: 1 << 20 })) {
      bytes += piece.length
      yield piece
    }
  })()
  const t0 = performance.now()
  const cid = await node.fs.addByteStream(source)
  const putMs = performance.now() - t0
  const addrs = node.helia.libp2p.getMultiaddrs().map((a) => a.toString())
  process.stdout.write(`${JSON.stringify({ cid: cid.toString(), addrs, putMs, bytes })}\n`)
  // Serve until the parent closes stdin (or the parent goes away).
  process.stdin.resume()
  await new Promise((resolve) => {
    process.stdin.once('end', resolve)
    process.stdin.once('close', resolve)
    process.stdin.once('error', resolve)
  })
  await stopNode(node)
}

async function get(cidText, addr, dir) {
  // Stop when the parent goes away (it closes stdin once it has the result, too).
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('error', () => process.exit(0))
  process.stdin.resume()
  const node = await startNode(dir)
  const cid = CID.parse(cidText)
  await node.helia.libp2p.dial(multiaddr(addr))
  const hash = createHash('sha256')
  let bytes = 0
  const t0 = performance.now()
  for await (const piece of node.fs.cat(cid)) {
    hash.update(piece)
    bytes += piece.length
  }
  const getMs = performance.now() - t0
  process.stdout.write(`${JSON.stringify({ getMs, bytes, sha256: hash.digest('hex') })}\n`)
  await stopNode(node)
}

const [mode, ...rest] = process.argv.slice(2)
try {
  if (mode === 'put') await put(rest[0], rest[1])
  else if (mode === 'get') await get(rest[0], rest[1], rest[2])
  else throw new Error(`unknown mode ${mode}`)
  process.exit(0)
} catch (err) {
  say(`failed: ${err?.stack ?? err}`)
  process.exit(1)
}
