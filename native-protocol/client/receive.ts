/**
 * The receive path (SPEC §5, §6): fetch → decode → decrypt → dispatch, one transaction per fetched
 * batch. What a batch decrypted is written together with the session updates and a journal of the
 * messages for core; envelopes are acknowledged at the relay only once core has stored what they
 * carried (or at once, for envelopes that carry nothing for core). A relay seq is processed once.
 */
import { b64u, fromUtf8, utf8 } from './codec.ts';
import { decodePayload, EnvelopeError, openEnvelope, TYPE_PREKEY, type Payload } from './envelope.ts';
import type { IncomingText, NativeClient } from './client.ts';
import { parseBundle } from './keys.ts';
import { load, localId, mailboxKey, RNS, save, seqKey, unreceiptedNs, type GroupRecord, type InviteRecord, type MailboxRecord, type QuarantineRecord, type RelRecord } from './records.ts';
import type { OwnedMailbox } from './relays.ts';
import { decryptFrom } from './session.ts';
import { readPeerKey, storesFor } from './signal-stores.ts';
import { Tx } from './storage.ts';

interface JournalEntry {
  event: IncomingText;
  relay: string;
  mailbox: string;
  seq: number;
}

/** Work to do once a batch has committed. */
type After = () => void | Promise<void>;

const FETCH_LIMIT = 500;
/** The value of a `seen` entry: only its presence matters. */
const SEEN = new Uint8Array([1]);

export class Receiver {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Mailboxes fetched from seq 0 once since start (to ack what a crash left behind). */
  private readonly sweptOnce = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  /** The journal's entries, in memory too, so confirming them reads no storage. */
  private readonly journal = new Map<string, JournalEntry>();

  constructor(private readonly c: NativeClient) {}

  /** Fetches a mailbox (again, if a fetch is running now). */
  pull(mb: OwnedMailbox): void {
    const k = mailboxKey(mb.relay, mb.id);
    if (this.running.has(k)) {
      this.again.add(k);
      return;
    }
    const run = this.drain(mb)
      .catch((e: unknown) => this.c.log.warn('fetch failed', { relay: mb.relay, error: (e as Error).message }))
      .finally(() => {
        this.running.delete(k);
        if (this.again.delete(k)) this.pull(mb);
        else if (this.running.size === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const fn of w) fn();
        }
      });
    this.running.set(k, run);
  }

  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  replayJournal(): void {
    for (const [, raw] of this.c.storage.list(RNS.journal)) {
      const j = JSON.parse(fromUtf8(raw)) as JournalEntry;
      this.journal.set(j.event.remoteId, j);
      this.c.events.message(j.event);
    }
  }

  /** Core stored these: acknowledge their envelopes and send delivery receipts. */
  async stored(remoteIds: readonly string[]): Promise<void> {
    const entries: JournalEntry[] = [];
    for (const id of remoteIds) {
      const j = this.journal.get(id);
      if (j) entries.push(j);
    }
    if (entries.length === 0) return;
    const acks = new Map<string, { relay: string; mailbox: string; seqs: number[] }>();
    const receipts = new Map<string, string[]>();
    for (const j of entries) {
      const k = mailboxKey(j.relay, j.mailbox);
      const a = acks.get(k) ?? { relay: j.relay, mailbox: j.mailbox, seqs: [] };
      a.seqs.push(j.seq);
      acks.set(k, a);
      if (!j.event.group && !j.event.request) receipts.set(j.event.rid, [...(receipts.get(j.event.rid) ?? []), j.event.msgId]);
    }
    // Acknowledge first, then forget: a crash in between replays the journal, core dedupes it,
    // and the (repeated) ack is harmless. The other order could leave an envelope unacknowledged.
    const failed = new Set<string>();
    for (const [k, a] of acks) if (!(await this.ack(a.relay, a.mailbox, a.seqs))) failed.add(k);
    await this.c.serial.run(async () => {
      const tx = new Tx(this.c.storage);
      for (const j of entries) {
        if (failed.has(mailboxKey(j.relay, j.mailbox))) continue;
        tx.put(RNS.journal, j.event.remoteId, null);
        this.journal.delete(j.event.remoteId);
      }
      tx.commit();
    });
    for (const [rid, ids] of receipts) {
      await this.c.sendReceipt(rid, ids, 'delivered').catch((e: unknown) => this.c.log.warn('delivery receipt not sent', { error: (e as Error).message }));
    }
  }

  private async ack(relay: string, mailbox: string, seqs: number[]): Promise<boolean> {
    const mb = load<MailboxRecord>(this.c.storage, RNS.mailbox, mailboxKey(relay, mailbox));
    if (!mb || seqs.length === 0) return true;
    try {
      const conn = await this.c.pool.connection(relay, 2_000);
      for (let i = 0; i < seqs.length; i += 1000) await conn.ack(this.c.owned(mb).key, mailbox, seqs.slice(i, i + 1000));
    } catch (e) {
      // Not fatal: the envelopes are fetched again later and skipped by seq, then acknowledged.
      this.c.log.warn('ack failed', { error: (e as Error).message });
      return false;
    }
    return true;
  }

  private async drain(mb: OwnedMailbox): Promise<void> {
    const k = mailboxKey(mb.relay, mb.id);
    for (;;) {
      const rec = load<MailboxRecord>(this.c.storage, RNS.mailbox, k);
      if (!rec) return;
      const sweep = !this.sweptOnce.has(k);
      const conn = await this.c.pool.connection(mb.relay, 5_000);
      const { messages, more } = await conn.fetch(mb.key, mb.id, { limit: FETCH_LIMIT, after: sweep ? 0 : rec.processedSeq });
      this.sweptOnce.add(k);
      if (messages.length === 0) return;
      await this.process(k, messages);
      if (!more) return;
    }
  }

  /** Processes one fetched batch in one transaction, then acts on it. */
  processBatch(k: string, messages: { seq: number; blob: Uint8Array; receivedAt: number }[]): Promise<void> {
    return this.process(k, messages);
  }

  private async process(k: string, messages: { seq: number; blob: Uint8Array; receivedAt: number }[]): Promise<void> {
    const after: After[] = [];
    const emit: IncomingText[] = [];
    const ackNow: number[] = [];
    const journaled: JournalEntry[] = [];
    let mbRec: MailboxRecord | null = null;
    await this.c.serial.run(async () => {
      const tx = new Tx(this.c.storage);
      const mb = load<MailboxRecord>(tx, RNS.mailbox, k);
      if (!mb) return;
      mbRec = mb;
      // Seqs already processed come back only after a restart; acknowledge those core does not still wait for.
      let waiting: Set<number> | null = null;
      for (const m of messages) {
        if (m.seq <= mb.processedSeq) {
          waiting ??= new Set([...this.journal.values()].filter((j) => j.relay === mb.relay && j.mailbox === mb.id).map((j) => j.seq));
          if (!waiting.has(m.seq)) ackNow.push(m.seq);
          continue;
        }
        const child = new Tx(tx);
        const out: IncomingText[] = [];
        const childAfter: After[] = [];
        try {
          await this.handle(child, mb, m, out, childAfter);
          child.commit();
          for (const ev of out) {
            const entry: JournalEntry = { event: ev, relay: mb.relay, mailbox: mb.id, seq: m.seq };
            // JSON, not CBOR: a journal entry has no bytes, and V8's JSON is several times faster here.
            tx.put(RNS.journal, ev.remoteId, utf8(JSON.stringify(entry)));
            journaled.push(entry);
          }
          emit.push(...out);
          after.push(...childAfter);
          if (out.length === 0) ackNow.push(m.seq);
        } catch (e) {
          // One bad envelope never blocks a mailbox: report it, drop it, go on (SPEC §6).
          const reason = (e instanceof Error ? e.message : String(e)).slice(0, 300);
          this.c.log.warn('envelope refused', { relay: mb.relay, seq: m.seq, reason });
          after.push(() => this.c.events.problem(`A message could not be read and was dropped: ${reason}`));
          ackNow.push(m.seq);
        }
        mb.processedSeq = m.seq;
      }
      save(tx, RNS.mailbox, k, mb);
      tx.commit();
    });
    for (const j of journaled) this.journal.set(j.event.remoteId, j);
    for (const ev of emit) this.c.events.message(ev);
    const rec = mbRec as MailboxRecord | null;
    if (rec && ackNow.length > 0) await this.ack(rec.relay, rec.id, ackNow);
    for (const fn of after) {
      try {
        await fn();
      } catch (e) {
        this.c.log.warn('after-receive step failed', { error: (e as Error).message });
      }
    }
  }

  private async handle(tx: Tx, mb: MailboxRecord, m: { seq: number; blob: Uint8Array; receivedAt: number }, out: IncomingText[], after: After[]): Promise<void> {
    const c = this.c;
    const stores = storesFor(tx, c.profile.pair, c.profile.registrationId, c.now);
    if (mb.owner.kind === 'invite') {
      const inv = load<InviteRecord>(tx, RNS.invite, mb.owner.inviteId);
      if (!inv || inv.state !== 'active') throw new EnvelopeError('accept of an invite that is no longer active');
      if (inv.expiresAt !== null && m.receivedAt > inv.expiresAt) throw new EnvelopeError('accept arrived after the invite expired');
      if (inv.maxUses !== null && inv.uses >= inv.maxUses) throw new EnvelopeError('accept beyond the invite\u2019s use limit');
      if (openEnvelope(m.blob).type !== TYPE_PREKEY) throw new EnvelopeError('an invite mailbox takes only session-starting messages');
      const rid = localId('n_');
      const { plaintext } = await decryptFrom(stores, rid, c.localAddress(), m.blob);
      const hello = decodePayload(plaintext);
      if (hello.k !== 'hello') throw new EnvelopeError(`an invite accept must be a hello, not ${hello.k}`);
      const renew = parseBundle(hello.renew);
      const recent = inv.recentAccepts.filter((t) => t > m.receivedAt - 60_000);
      const quarantined = recent.length >= c.floodPerMinute;
      const rel: RelRecord = {
        rid,
        name: hello.name,
        state: quarantined ? 'quarantined' : 'needs-ack',
        origin: { by: 'them', inviteId: inv.id },
        request: inv.kind === 'address' || inv.kind === 'multi-use',
        mine: null,
        theirs: hello.mbox,
        renew,
        timer: 0,
        createdAt: c.now(),
      };
      save(tx, RNS.rel, rid, rel);
      tx.put(RNS.seen, `${rid}|${hello.id}`, SEEN);
      const next: InviteRecord = { ...inv, uses: inv.uses + 1, recentAccepts: [...recent, m.receivedAt] };
      save(tx, RNS.invite, inv.id, next);
      if (next.maxUses !== null && next.uses >= next.maxUses) after.push(() => c.closeInvite(next, 'used-up'));
      else after.push(() => c.events.changed('invites'));
      if (quarantined) {
        const q: QuarantineRecord = { id: localId('q_'), rid, inviteId: inv.id, name: hello.name, arrivedAt: m.receivedAt };
        save(tx, RNS.quarantine, q.id, q);
        after.push(() => c.events.changed('quarantine'));
      } else {
        after.push(async () => {
          c.events.peer(rid);
          await c.finishHandshake(rid);
        });
      }
      return;
    }

    const rid = mb.owner.rid;
    const rel = load<RelRecord>(tx, RNS.rel, rid);
    if (!rel) throw new EnvelopeError('message for a relationship that no longer exists');
    const trustBefore = readPeerKey(tx, rid)?.trust;
    const { plaintext } = await decryptFrom(stores, rid, c.localAddress(), m.blob);
    const trustAfter = readPeerKey(tx, rid)?.trust;
    const p = decodePayload(plaintext);
    if (trustAfter === 'changed' && trustBefore !== 'changed') {
      after.push(() => {
        c.events.peer(rid);
        c.events.changed('identity');
      });
    }
    const seenKey = p.k === 'text' && p.g ? `g:${p.g}:${b64u(p.from ?? readPeerKey(tx, rid)!.key)}|${p.id}` : `${rid}|${p.id}`;
    if (tx.get(RNS.seen, seenKey)) return; // a replay, or a resend after a lost reply: already handled
    tx.put(RNS.seen, seenKey, SEEN);
    this.dispatch(tx, rel, p, m.seq, out, after);
  }

  private dispatch(tx: Tx, rel: RelRecord, p: Payload, seq: number, out: IncomingText[], after: After[]): void {
    const c = this.c;
    const rid = rel.rid;
    switch (p.k) {
      case 'hello-ack': {
        if (rel.state !== 'pending') return;
        save(tx, RNS.rel, rid, { ...rel, state: 'active', name: p.name || rel.name, theirs: p.mbox, renew: parseBundle(p.renew) } satisfies RelRecord);
        after.push(() => c.events.peer(rid));
        return;
      }
      case 'rekey':
        save(tx, RNS.rel, rid, { ...rel, renew: parseBundle(p.renew) });
        return;
      case 'refused':
        save(tx, RNS.rel, rid, { ...rel, state: 'refused' });
        after.push(() => {
          c.events.peer(rid);
          c.events.problem(`${rel.name || 'Your contact'} could not accept the session: ${p.reason}`);
        });
        return;
      case 'hello':
        throw new EnvelopeError('a hello arrived in a pairwise mailbox');
      case 'receipt': {
        const ids = p.ids;
        after.push(() => {
          for (const id of ids) c.events.delivery(id, p.state);
        });
        return;
      }
      case 'timer': {
        if (p.g) {
          const g = load<GroupRecord>(tx, RNS.group, p.g);
          if (!g || g.left) return;
          const from = readPeerKey(tx, rid)!.key;
          if (!g.members.some((m) => Buffer.from(m.ik).equals(from))) throw new EnvelopeError('group timer from someone who is not a member');
          save(tx, RNS.group, p.g, { ...g, timer: p.seconds });
          after.push(() => c.events.timer({ gid: p.g! }, p.seconds));
        } else {
          save(tx, RNS.rel, rid, { ...rel, timer: p.seconds });
          after.push(() => c.events.timer({ rid }, p.seconds));
        }
        return;
      }
      case 'group': {
        const senderKey = readPeerKey(tx, rid)!.key;
        const existing = load<GroupRecord>(tx, RNS.group, p.g);
        // A stranger the user has not accepted cannot put them in a group (as with message requests).
        if (!existing && rel.request) throw new EnvelopeError('group invitation from someone you have not accepted yet; accept their message request first');
        const admin = existing ? existing.admin : p.admin;
        // Only the group's admin changes a group; anyone else's update is ignored.
        if (!Buffer.from(admin).equals(senderKey) || !Buffer.from(p.admin).equals(admin)) throw new EnvelopeError('group update from someone who is not its admin');
        const inIt = p.members.some((m) => Buffer.from(m.ik).equals(c.identityKey));
        // Removed: keep the member list we knew (an empty list is all a removed member is sent).
        const members = inIt ? p.members : (existing?.members ?? []);
        save(tx, RNS.group, p.g, { gid: p.g, name: p.name, members, admin, timer: existing?.timer ?? 0, left: !inIt } satisfies GroupRecord);
        after.push(() => c.events.group(p.g));
        return;
      }
      case 'text': {
        if (p.g) return this.groupText(tx, rel, p, out, after);
        if (rel.state !== 'active') throw new EnvelopeError('text before the session was confirmed');
        const ev: IncomingText = {
          remoteId: `${rid}:${p.id}`,
          msgId: p.id,
          rid,
          sender: { rid, name: rel.name, ik: b64u(readPeerKey(tx, rid)!.key) },
          group: null,
          text: p.text,
          sentAt: p.t,
          timer: p.exp ?? 0,
          request: rel.request,
        };
        out.push(ev);
        tx.put(unreceiptedNs(rid), seqKey(seq), utf8(p.id));
        return;
      }
    }
  }

  /** A group text: from a member directly, or forwarded by the admin with the author's key (SPEC §8). */
  private groupText(tx: Tx, rel: RelRecord, p: Extract<Payload, { k: 'text' }>, out: IncomingText[], after: After[]): void {
    const c = this.c;
    const g = load<GroupRecord>(tx, RNS.group, p.g!);
    if (!g || g.left) throw new EnvelopeError('message for a group this profile is not in');
    const via = readPeerKey(tx, rel.rid)!.key;
    const author = p.from ?? via;
    if (p.from && !Buffer.from(g.admin).equals(via)) throw new EnvelopeError('forwarded group message from someone who is not the admin');
    const member = g.members.find((m) => Buffer.from(m.ik).equals(author));
    if (!member) throw new EnvelopeError('group message from someone who is not a member');
    const authorRel = c.relByKey(author);
    out.push({
      remoteId: `${g.gid}:${b64u(author).slice(0, 22)}:${p.id}`,
      msgId: p.id,
      rid: rel.rid,
      sender: { rid: authorRel?.rid ?? null, name: authorRel?.name ?? member.name, ik: b64u(author) },
      group: { gid: g.gid, name: g.name },
      text: p.text,
      sentAt: p.t,
      timer: p.exp ?? g.timer,
      request: false,
    });
    // The admin forwards what a member sent directly to everyone else in the group.
    if (!p.from && Buffer.from(g.admin).equals(c.identityKey)) {
      after.push(async () => {
        for (const m of g.members) {
          if (Buffer.from(m.ik).equals(c.identityKey) || Buffer.from(m.ik).equals(author)) continue;
          const to = c.relByKey(m.ik);
          if (!to || to.state !== 'active') continue;
          await c.sendPayload(to, { ...p, from: author }).catch((e: unknown) => c.log.warn('group forward failed', { error: (e as Error).message }));
        }
      });
    }
  }
}
