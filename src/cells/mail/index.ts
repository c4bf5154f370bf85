/**
 * The mail cell (docs/mail.md): mailboxes for sealed mail. DNA: the
 * original's mailTreeCell numbers (net 13393, receptor 13395, monitor 13394,
 * 25 children). Settings from the environment: see mail-organ.ts.
 */
import type { CellType } from '../../core/cell/types.js'
import { envMs } from '../../core/storage/size.js'
import { BorgError } from '../../core/errors.js'
import { MailOrgan, DEFAULT_MAIL, type MailOptions } from './mail-organ.js'
import { MAIL_CODECS } from './messages.js'
import { MAX_POW_BITS } from '../../core/mail/gift-wrap.js'

export const mailCell: CellType = {
  dna: { name: 'mail', netPort: 13393, recpPort: 13395, monPort: 13394, maxChildren: 25 },
  summary: 'mailboxes: sealed mail held by three mail cells per recipient, reconciled among them, throttled and bounded',
  organs: (context) => (context.dataDir ? [new MailOrgan(context, mailOptions(process.env))] : []),
  codecs: MAIL_CODECS,
}

function whole(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name]
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new BorgError('usage', `${name} must be a whole number from ${min} to ${max}`)
  return n
}

export function mailOptions(env: NodeJS.ProcessEnv): MailOptions {
  const days = whole(env, 'BORG_MAIL_RETENTION_DAYS', 1, 3650)
  return {
    syncMs: envMs(env, 'BORG_MAIL_SYNC_MS') ?? DEFAULT_MAIL.syncMs,
    acceptRank: whole(env, 'BORG_MAIL_ACCEPT_RANK', 3, 1000) ?? DEFAULT_MAIL.acceptRank,
    powBits: whole(env, 'BORG_MAIL_POW_BITS', 0, MAX_POW_BITS) ?? DEFAULT_MAIL.powBits,
    limits: { ...DEFAULT_MAIL.limits, ...(days ? { retentionMs: days * 86_400_000 } : {}) },
    rates: {
      ...DEFAULT_MAIL.rates,
      perSenderPerMinute: whole(env, 'BORG_MAIL_PER_SENDER', 1, 1_000_000) ?? DEFAULT_MAIL.rates.perSenderPerMinute,
      perSourcePerMinute: whole(env, 'BORG_MAIL_PER_SOURCE', 1, 10_000_000) ?? DEFAULT_MAIL.rates.perSourcePerMinute,
    },
  }
}

export { MailOrgan } from './mail-organ.js'
export { mailboxKey, MAILBOX_COPIES } from '../../core/mail/mailbox-placement.js'
export { MAIL_KIND, MAIL_CODECS } from './messages.js'
