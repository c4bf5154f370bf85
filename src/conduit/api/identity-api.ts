/**
 * /api/identity…: the identity's public half (address, public key, the
 * address as a QR code drawn here), and create, restore, unlock and lock.
 * Words and passphrases arrive once in a request body and stay in this
 * process; the page gets public facts back, and the new words once on create.
 */
import { renderSVG } from 'uqr'
import type { ApiContext } from './context.js'
import { field } from './context.js'

export function identityApi(ctx: ApiContext) {
  const view = async () => {
    const state = await ctx.keyring.state()
    return state.state === 'none' ? state : { ...state, qr: renderSVG(state.address, { border: 2 }) }
  }
  return {
    get: { identity: view },
    post: {
      'identity/unlock': async (body: unknown) => {
        await ctx.keyring.unlock(field(body, 'passphrase'))
        return view()
      },
      'identity/lock': async () => {
        ctx.keyring.lock()
        return view()
      },
      'identity/create': async (body: unknown) => {
        const made = await ctx.keyring.create(field(body, 'passphrase'), (body as { replace?: unknown }).replace === true)
        return { words: made.words, identity: await view() }
      },
      'identity/restore': async (body: unknown) => {
        await ctx.keyring.restore(field(body, 'words', { max: 1024 }), field(body, 'passphrase'), (body as { replace?: unknown }).replace === true)
        return view()
      },
    },
  }
}
