/** The signer a command acts as: this home's node key, or the user's unlocked identity. */
import { unlockIdentity } from './identity.js'
import { loadOrCreateNodeKey } from './node-key.js'
import { keystorePassphrase, type SecretInput } from './secret-input.js'
import { identitySigner, nodeSigner, type Signer } from './signer.js'
import { p2pkhAddress } from './address.js'
import { spendingSignerOf } from '../ledger/spending-key.js'

export async function loadSigner(
  home: string,
  as: 'node' | 'identity',
  input: SecretInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ signer: Signer; address?: string; spending?: Signer }> {
  if (as === 'node') return { signer: nodeSigner(await loadOrCreateNodeKey(home)) }
  const passphrase = await keystorePassphrase(input, env, { confirm: false })
  const unlocked = await unlockIdentity(home, passphrase)
  unlocked.seed.fill(0)
  // The identity's ledger spending key is derived from its secret here, where the secret is (spending-key.ts).
  return { signer: identitySigner(unlocked.key), address: p2pkhAddress(unlocked.key.publicKey), spending: spendingSignerOf(unlocked.key.secretKey) }
}
