/**
 * The native-protocol adapter: one profile's `NativeClient` behind the adapter contract. Peers are
 * addressed by relationship id (local, never sent); groups by group id.
 */
import {
  AdapterActionError,
  AdapterSendError,
  type AccountConfig,
  type AccountStatus,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type AdapterServices,
  type GroupActions,
  type InviteActions,
  type InviteInfo,
  type OutgoingMessage,
  type RemoteConversationRef,
  type RouteRef,
  type SecurityFacts,
  type SendReceipt,
  type Unsubscribe,
  type VerificationActions,
} from '../contract.ts';
import { AdapterListeners } from '../listeners.ts';
import { ClientError, NativeClient, type IncomingText } from '../../native-protocol/client/client.ts';
import type { InviteRecord } from '../../native-protocol/client/records.ts';
import { RelayError } from '../../native-protocol/client/client.ts';
import { nativeFacts } from './facts.ts';
import { nativeSettings } from './settings.ts';

export class NativeAdapter implements Adapter {
  readonly protocol = 'native' as const;
  readonly accountId: string;
  readonly client: NativeClient;
  readonly invites: InviteActions;
  readonly verification: VerificationActions;
  readonly groups: GroupActions;
  private readonly listeners = new AdapterListeners();
  private status: AccountStatus = 'offline';
  /** Facts per route: asked for every stored message, changed only when the client says a peer or group changed. */
  private readonly factsCache = new Map<string, SecurityFacts>();

  constructor(account: AccountConfig, services: AdapterServices) {
    this.accountId = account.id;
    const settings = nativeSettings(account.settings);
    this.client = new NativeClient({
      storage: services.state,
      displayName: account.displayName || account.address,
      relays: settings.relays,
      floodPerMinute: settings.floodPerMinute,
      backoffMs: settings.backoffMs,
      events: {
        message: (m) => this.emit(this.messageEvent(m)),
        delivery: (clientId, state) => this.emit({ type: 'delivery', accountId: this.accountId, clientId, state }),
        peer: (rid) => {
          this.factsCache.clear();
          this.peerChanged(rid);
        },
        group: (gid) => {
          this.factsCache.clear();
          this.groupChanged(gid);
        },
        timer: (ref, seconds) => this.timerChanged(ref, seconds),
        connection: (up) => this.setStatus(up ? 'online' : 'connecting'),
        changed: (topic) => this.emit({ type: 'changed', accountId: this.accountId, topic }),
        problem: (text) => this.emit({ type: 'error', accountId: this.accountId, error: text }),
      },
    });
    this.invites = this.inviteActions();
    this.verification = this.verificationActions();
    this.groups = this.groupActions();
  }

  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    this.setStatus('connecting');
    this.client.start();
    // Peers known from earlier runs: make sure core has their routes' current facts.
    for (const p of this.client.peers()) if (p.state === 'active') this.emitFacts(p.rid);
  }

  async disconnect(): Promise<void> {
    await this.client.stop();
    this.setStatus('offline');
  }

  async send(out: OutgoingMessage, signal?: AbortSignal): Promise<SendReceipt> {
    if (signal?.aborted) throw new AdapterSendError('network', 'Sending was cancelled.');
    try {
      if (out.conversation.kind === 'group') {
        const r = await this.client.sendGroupText(out.conversation.roomId, out.clientId, out.text);
        return { remoteId: `${out.conversation.roomId}:self:${out.clientId}`, sentAt: r.sentAt };
      }
      const rid = out.conversation.peer.address;
      const r = await this.client.sendText(rid, out.clientId, out.text);
      return { remoteId: `${rid}:${out.clientId}`, sentAt: r.sentAt };
    } catch (e) {
      throw toSendError(e);
    }
  }

  async sendReadReceipt(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void> {
    if (conversation.kind !== 'direct') return;
    const rid = conversation.peer.address;
    if (!upToRemoteId.startsWith(`${rid}:`)) return;
    await this.client.sendReadUpTo(rid, upToRemoteId.slice(rid.length + 1));
  }

  async setDisappearing(conversation: RemoteConversationRef, seconds: number): Promise<void> {
    try {
      if (conversation.kind === 'group') await this.client.setGroupTimer(conversation.roomId, seconds);
      else await this.client.setTimer(conversation.peer.address, seconds);
    } catch (e) {
      throw actionError(e);
    }
  }

  peerAccepted(conversation: RemoteConversationRef): void {
    if (conversation.kind === 'direct') this.client.acceptRequest(conversation.peer.address).catch(() => undefined);
  }

  messagesStored(remoteIds: readonly string[]): void {
    this.client.messagesStored(remoteIds).catch(() => undefined);
  }

  securityFacts(route: RouteRef): SecurityFacts {
    let facts = this.factsCache.get(route.target);
    if (!facts) {
      facts = this.computeFacts(route.target);
      this.factsCache.set(route.target, facts);
    }
    return facts;
  }

  private computeFacts(target: string): SecurityFacts {
    const route = { target };
    const group = this.client.group(route.target);
    if (group) {
      // A group is as strong as its weakest member's route: a changed key anywhere shows.
      const trusts = group.members.map((m) => this.client.relByKey(m.ik)).map((r) => (r ? this.client.peer(r.rid)?.trust : undefined));
      const trust = trusts.includes('changed') ? 'changed' : trusts.every((t) => t === 'verified') ? 'verified' : 'tofu';
      return nativeFacts(this.homeRelay(), trust);
    }
    const p = this.client.peer(route.target);
    return nativeFacts(p?.relay ?? this.homeRelay(), p?.trust ?? 'tofu');
  }

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  private homeRelay(): string | null {
    return this.client.peers()[0]?.relay ?? null;
  }

  private emit(e: AdapterEvent): void {
    this.listeners.emit(e);
  }

  private setStatus(s: AccountStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.emit({ type: 'status', accountId: this.accountId, status: s });
  }

  private emitFacts(rid: string): void {
    this.emit({ type: 'route-facts', accountId: this.accountId, target: rid, facts: this.securityFacts({ accountId: this.accountId, target: rid }) });
  }

  private peerChanged(rid: string): void {
    const p = this.client.peer(rid);
    if (!p || p.state === 'quarantined' || p.state === 'refused') return;
    const e: Extract<AdapterEvent, { type: 'peer' }> = { type: 'peer', accountId: this.accountId, peer: { address: rid, displayName: p.name }, request: p.request };
    if (p.inviteId !== null) e.inviteId = p.inviteId;
    this.emit(e);
    this.emitFacts(rid);
  }

  private groupChanged(gid: string): void {
    const g = this.client.group(gid);
    if (!g) return;
    this.emit({ type: 'group', accountId: this.accountId, roomId: gid, title: g.name, left: g.left });
    this.emitFacts(gid);
  }

  private groupActions(): GroupActions {
    const c = this.client;
    return {
      create: async (name, members) => {
        const g = await guard(() => c.createGroup(name, [...members]));
        return { roomId: g.gid, title: g.name };
      },
      setMembers: async (roomId, members) => {
        await guard(() => c.setGroupMembers(roomId, [...members]));
      },
      members: (roomId) => {
        const g = c.group(roomId);
        if (!g) throw new AdapterActionError('not-found', 'That group does not exist.');
        return g.members.map((m) => {
          const self = Buffer.from(m.ik).equals(c.identityKey);
          const rel = self ? null : c.relByKey(m.ik);
          return { address: rel?.rid ?? null, displayName: self ? c.profile.displayName : (rel?.name ?? m.name), isSelf: self, isAdmin: Buffer.from(m.ik).equals(g.admin) };
        });
      },
    };
  }

  private timerChanged(ref: { rid: string } | { gid: string }, seconds: number): void {
    let conversation: RemoteConversationRef;
    if ('gid' in ref) {
      const g = this.client.group(ref.gid);
      conversation = { kind: 'group', roomId: ref.gid, title: g?.name };
    } else {
      conversation = { kind: 'direct', peer: { address: ref.rid, displayName: this.client.peer(ref.rid)?.name } };
    }
    this.emit({ type: 'disappearing', accountId: this.accountId, conversation, seconds });
  }

  private messageEvent(m: IncomingText): AdapterEvent {
    const conversation: RemoteConversationRef = m.group
      ? { kind: 'group', roomId: m.group.gid, title: m.group.name }
      : { kind: 'direct', peer: { address: m.rid, displayName: m.sender.name } };
    const e: Extract<AdapterEvent, { type: 'message' }> = {
      type: 'message',
      accountId: this.accountId,
      remoteId: m.remoteId,
      conversation,
      sender: { address: m.sender.rid ?? `member:${m.sender.ik}`, displayName: m.sender.name },
      text: m.text,
      sentAt: m.sentAt,
    };
    if (m.request) e.request = true;
    if (m.timer > 0) e.disappearAfterSeconds = m.timer;
    return e;
  }

  private inviteActions(): InviteActions {
    const c = this.client;
    return {
      create: async (opts) => toInfo(await guard(() => c.createInvite(opts))),
      list: () => c.listInvites().map(toInfo),
      revoke: async (id) => {
        await guard(() => c.revokeInvite(id));
      },
      accept: async (link) => {
        const p = await guard(() => c.acceptInvite(link));
        return { peer: { address: p.rid, displayName: p.name } };
      },
      quarantine: () => c.quarantine().map((q) => ({ id: q.id, inviteId: q.inviteId, inviteLabel: c.listInvites().find((i) => i.id === q.inviteId)?.label ?? '', displayName: q.name, arrivedAt: q.arrivedAt })),
      decideQuarantine: (ids, accept) => guard(() => c.decideQuarantine(ids, accept)),
    };
  }

  private verificationActions(): VerificationActions {
    const c = this.client;
    return {
      safetyNumber: (rid) => guardSync(() => c.safetyNumber(rid)),
      setVerified: (rid, v) => {
        guardSync(() => c.setVerified(rid, v));
      },
      acknowledgeChange: (rid) => {
        guardSync(() => c.acknowledgeChange(rid));
      },
      compareScanned: (rid, payload) => c.compareScanned(rid, payload),
    };
  }
}

function toInfo(i: InviteRecord): InviteInfo {
  return {
    id: i.id,
    kind: i.kind,
    label: i.label,
    link: i.link,
    shortLink: i.shortLink,
    createdAt: i.createdAt,
    expiresAt: i.expiresAt,
    maxUses: i.maxUses,
    uses: i.uses,
    state: i.state,
  };
}

function actionError(e: unknown): unknown {
  if (!(e instanceof ClientError)) {
    if (e instanceof RelayError) return new AdapterActionError('unavailable', `The relay could not do that right now (${e.code}). Try again.`);
    return e;
  }
  const code = e.code === 'untrusted' || e.code === 'quota' || e.code === 'pending' || e.code === 'refused' ? 'unavailable' : e.code;
  return new AdapterActionError(code, e.message);
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw actionError(e);
  }
}

function guardSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw actionError(e);
  }
}

/** Which send failures are worth retrying (the outbox keeps the message) and which are final. */
function toSendError(e: unknown): AdapterSendError {
  if (e instanceof AdapterSendError) return e;
  if (e instanceof ClientError) {
    switch (e.code) {
      case 'pending':
      case 'unavailable':
      case 'quota':
        return new AdapterSendError('network', e.message);
      // A changed safety number is not a sign-in problem: the message fails with the reason and the
      // user sends it again after checking the new number (as Signal does).
      case 'untrusted':
      case 'expired':
      case 'invalid':
      case 'not-found':
      case 'refused':
      case 'revoked':
      case 'used-up':
        return new AdapterSendError('permanent', e.message);
    }
  }
  return new AdapterSendError('network', e instanceof Error ? e.message : String(e));
}

export function createNativeAdapter(account: AccountConfig, services: AdapterServices): Adapter {
  return new NativeAdapter(account, services);
}
