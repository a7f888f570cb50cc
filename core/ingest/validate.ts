import { z } from 'zod';
import type { AdapterEvent, SecurityFacts } from '../../adapters/contract.ts';

/**
 * Adapters are the edge of the world: whatever they emit is checked here before it reaches the
 * database, so one malformed event is logged and skipped instead of breaking ingest.
 */
export const securityFactsSchema = z.strictObject({
  transport: z.enum(['tls-verified', 'tls-unverified', 'none']),
  endToEnd: z.enum(['all', 'partial', 'none']),
  forwardSecrecy: z.boolean(),
  identity: z.enum(['verified', 'tofu', 'changed', 'none']),
  metadataProtection: z.boolean(),
  postQuantum: z.boolean(),
  downgradeResistant: z.boolean(),
  serverPlaintext: z.string().max(200).optional(),
}) satisfies z.ZodType<SecurityFacts>;

const text = z.string().max(1_000_000);
const shortText = z.string().min(1).max(1000);
const person = z.strictObject({ address: shortText, displayName: z.string().max(500).optional() });
/** The longest disappearing timer stored (a longer one is cut to it, so deadlines stay exact integers). */
const MAX_TIMER_SECONDS = 100 * 365 * 86_400;
/**
 * A disappearing timer an adapter reports, in seconds. Wider than the api's range (a peer's client
 * may allow other values); a fraction or an absurd length is rounded rather than a reason to drop a message.
 */
const timerSeconds = z
  .number()
  .nonnegative()
  .transform((s) => Math.min(MAX_TIMER_SECONDS, Math.floor(s)));
const conversation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('direct'), peer: person }),
  z.strictObject({ kind: z.literal('group'), roomId: shortText, title: z.string().max(500).optional() }),
]);

/** Cuts a string to `max` characters instead of refusing it: a long name must not cost the whole message. */
const capped = (max: number) => z.string().transform((s) => (s.length > max ? s.slice(0, max) : s));
/** More attachments than this are not listed (the original still has them). */
const MAX_ATTACHMENTS = 500;
/** An attachment as listed; an odd name or size is made usable rather than costing the message. */
const attachment = z.strictObject({
  id: z.string().min(1).max(200),
  filename: capped(500).transform((name) => name.trim() || 'attachment'),
  mimeType: capped(200),
  size: z
    .number()
    .nonnegative()
    .transform((n) => Math.floor(n)),
});
/**
 * Subject, original, HTML, attachments or a problem (email). The long fields are not limited here:
 * they are already in memory, and ingest keeps a bounded prefix (core/content/store.ts) rather than
 * dropping a message for being long.
 */
const content = z.strictObject({
  subject: capped(2000).optional(),
  originalText: z.string().optional(),
  html: z.string().optional(),
  attachments: z
    .array(attachment)
    .transform((list) => list.slice(0, MAX_ATTACHMENTS))
    .optional(),
  problem: capped(2000).optional(),
  // A malformed invitation costs the invitation, never the message (ingest checks the link itself).
  invitation: z.strictObject({ link: z.string() }).optional().catch(undefined),
});

export const adapterEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('message'),
    accountId: shortText,
    remoteId: shortText,
    conversation,
    sender: z.union([z.literal('self'), person]),
    text,
    sentAt: z.number().int().nonnegative(),
    clientId: z.string().max(64).optional(),
    facts: securityFactsSchema.optional(),
    historical: z.boolean().optional(),
    request: z.boolean().optional(),
    disappearAfterSeconds: timerSeconds.optional(),
    content: content.optional(),
  }),
  z.strictObject({
    type: z.literal('message-body'),
    accountId: shortText,
    remoteId: shortText,
    text,
    content: content.optional(),
    facts: securityFactsSchema.optional(),
  }),
  z.strictObject({
    type: z.literal('message-edit'),
    accountId: shortText,
    remoteId: shortText,
    text,
    editedAt: z.number().int().nonnegative(),
  }),
  z.strictObject({ type: z.literal('message-redacted'), accountId: shortText, remoteId: shortText, redactedAt: z.number().int().nonnegative() }),
  z.strictObject({ type: z.literal('delivery'), accountId: shortText, clientId: shortText, state: z.enum(['delivered', 'read']) }),
  z.strictObject({
    type: z.literal('status'),
    accountId: shortText,
    status: z.enum(['offline', 'connecting', 'online', 'error']),
    error: z.string().max(2000).optional(),
  }),
  z.strictObject({ type: z.literal('route-facts'), accountId: shortText, target: shortText, facts: securityFactsSchema }),
  z.strictObject({ type: z.literal('error'), accountId: shortText, error: z.string().max(2000) }),
  z.strictObject({ type: z.literal('peer'), accountId: shortText, peer: person, request: z.boolean().optional(), inviteId: shortText.optional() }),
  z.strictObject({ type: z.literal('group'), accountId: shortText, roomId: shortText, title: z.string().max(500), left: z.boolean() }),
  z.strictObject({ type: z.literal('disappearing'), accountId: shortText, conversation, seconds: timerSeconds }),
  z.strictObject({ type: z.literal('changed'), accountId: shortText, topic: z.enum(['invites', 'quarantine', 'identity']) }),
  z.strictObject({ type: z.literal('presence'), accountId: shortText, address: shortText, state: z.enum(['available', 'away', 'offline']) }),
  z.strictObject({ type: z.literal('typing'), accountId: shortText, conversation, sender: person, typing: z.boolean() }),
  z.strictObject({
    type: z.literal('verification'),
    accountId: shortText,
    requestId: shortText,
    peer: person,
    step: z.discriminatedUnion('phase', [
      z.strictObject({ phase: z.enum(['incoming', 'waiting', 'confirmed', 'done']) }),
      z.strictObject({
        phase: z.literal('emoji'),
        emoji: z.array(z.strictObject({ symbol: z.string().max(16), name: z.string().max(40) })).min(1).max(10),
      }),
      z.strictObject({ phase: z.literal('cancelled'), reason: z.string().max(500) }),
    ]),
  }),
]);

/** The event, or a readable reason it was refused. */
export function validateAdapterEvent(e: unknown): { ok: true; event: AdapterEvent } | { ok: false; reason: string } {
  const r = adapterEventSchema.safeParse(e);
  if (r.success) return { ok: true, event: r.data };
  return { ok: false, reason: z.prettifyError(r.error).slice(0, 500) };
}

/** Facts stored as JSON, or null when missing or damaged. */
export function parseFacts(json: string | null): SecurityFacts | null {
  if (json === null) return null;
  try {
    const r = securityFactsSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
