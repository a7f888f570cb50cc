/**
 * The Matrix adapter (issue 7): one account on a homeserver through matrix-js-sdk, with end-to-end
 * encryption by its Rust crypto and every store made durable (`sdk.ts`). Direct rooms (`m.direct`)
 * are the 1:1 conversation with their peer, other rooms are groups; invitations are message
 * requests (accepting joins); edits, deletions, read receipts and typing flow both ways; a room's
 * facts say whether it is encrypted, bridged, and how far its people are verified (`facts.ts`).
 * Bad events are skipped with a logged reason; the account keeps syncing.
 */
import {
  ClientEvent,
  Direction,
  EventType,
  HttpApiEvent,
  MatrixEventEvent,
  Method,
  MsgType,
  PendingEventOrdering,
  Preset,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  SyncState,
  type IndexedDBStore,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import {
  AdapterActionError,
  AdapterSendError,
  type AccountConfig,
  type AccountStatus,
  type Adapter,
  type AdapterEvent,
  type AdapterEventType,
  type AdapterServices,
  type AdapterStateStore,
  type GroupActions,
  type OutgoingMessage,
  type RemoteConversationRef,
  type RouteRef,
  type SasActions,
  type SecurityFacts,
  type SendReceipt,
  type Unsubscribe,
} from '../contract.ts';
import { AdapterListeners } from '../listeners.ts';
import { createAdapterLogger } from '../log.ts';
import { decodeEvent, type Decoded } from './decode.ts';
import { roomFacts } from './facts.ts';
import { bridgeOf, directPeer, DirectRooms, inviteTitle, roomTitle } from './rooms.ts';
import { ClosableState, openClient } from './sdk.ts';
import { SasVerifications } from './verification.ts';
import { sendError } from './errors.ts';
import { matrixGroups, MEGOLM } from './groups.ts';
import { Gaps, HISTORY_PAGE } from './gaps.ts';
import { matrixSettings, parseMxid } from './setup.ts';

const log = createAdapterLogger('matrix.adapter');
/** adapter_state: sent messages by client id → their event id (sending is idempotent across restarts). */
const NS_SENT = 'mx-sent';
/**
 * Events core has stored (event id → when): a restart replays the saved sync, and what it holds
 * must not be reported again. Pruned to the newest SEEN_KEEP at each start.
 */
const NS_SEEN = 'mx-seen';
/**
 * Messages stored as a placeholder because their key had not come (event id → room id): when one
 * decrypts — later in the session or after a restart — its text replaces the placeholder.
 */
const NS_PLACEHOLDER = 'mx-placeholder';
const SEEN_KEEP = 20_000;
/** Events per room in the first sync of a new account (older ones come on scrolling up). */
const INITIAL_SYNC_LIMIT = 20;
const TYPING_TIMEOUT_MS = 20_000;
/**
 * A message whose key has not arrived is held this long before its placeholder is shown: keys
 * usually follow within a sync or two, and a real text (and its notification) beats a placeholder
 * replaced a moment later.
 */
const KEY_GRACE_MS = 5_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

type Identity = 'verified' | 'tofu' | 'changed';

export class MatrixAdapter implements Adapter {
  readonly protocol = 'matrix' as const;
  readonly accountId: string;
  readonly groups: GroupActions;
  readonly sas: SasActions;
  private readonly verifications: SasVerifications;
  private readonly listeners = new AdapterListeners();
  private readonly state: AdapterStateStore;
  private readonly userId: string;
  private readonly homeserver: string;
  private readonly accessToken: string | undefined;
  private readonly deviceId: string | undefined;
  private client: MatrixClient | null = null;
  private store: IndexedDBStore | null = null;
  /** The state the client's stores journal into, closed when the client stops. */
  private clientState: ClosableState | null = null;
  private status: AccountStatus = 'offline';
  private stopped = false;
  /** Whether this sync started from nothing (a new account): what it brings is history. */
  private firstSync = false;
  private prepared = false;
  private readonly direct = new DirectRooms();
  /** Event ids reported in this run (the SDK can hand an event over twice: replayed state, a reset timeline). */
  private readonly reported = new Map<string, number>();
  /** Counts reports, so a gap knows which events were reported before it opened. */
  private reportSeq = 0;
  /** Reported as undecryptable, waiting for their key: when it comes, their text follows. */
  private readonly undecrypted = new Set<string>();
  /** Sends in flight by client id: a retry while one runs waits for it (the SDK refuses a txn id twice). */
  private readonly inFlight = new Map<string, Promise<SendReceipt>>();
  /** Users' identity as the crypto last said (verification is asynchronous; facts are read synchronously). */
  private readonly identities = new Map<string, Identity>();
  /** Client ids of ours already reported read. */
  private readonly readReported = new Set<string>();
  /**
   * Rooms joined during the sync being processed: announced as groups (or not, when direct) once
   * it is done, when their state is complete and a new direct room shows its `is_direct` flag.
   */
  private readonly joined = new Set<Room>();
  /** Undecryptable messages held for their key (KEY_GRACE_MS) before a placeholder is reported. */
  private readonly awaitingKey = new Map<string, { timer: NodeJS.Timeout; historical: boolean }>();
  /** Gaps a limited sync left, filled back to what is stored. */
  private readonly gaps: Gaps;
  /** Direct invitations by room: who sent them (the room's peer once joined). */
  private readonly directInvites = new Map<string, string>();

  constructor(account: AccountConfig, services: AdapterServices) {
    this.accountId = account.id;
    this.userId = account.address;
    parseMxid(account.address);
    this.homeserver = matrixSettings(account.settings).homeserver;
    this.state = services.state;
    this.accessToken = services.secrets.accessToken;
    this.deviceId = services.secrets.deviceId;
    this.verifications = new SasVerifications({
      accountId: this.accountId,
      client: () => this.client,
      emit: (e) => this.emit(e),
      directRoom: (peer) => this.roomFor(this.online(), { kind: 'direct', peer: { address: peer } }),
      trustChanged: (userId) => {
        if (this.client) void this.refreshIdentity(this.client, userId);
      },
    });
    const v = this.verifications;
    this.sas = {
      request: (peer) => v.request(peer),
      accept: (id) => v.accept(id),
      confirm: (id, match) => v.confirm(id, match),
      cancel: (id) => v.cancel(id),
      acknowledgeChange: (peer) => v.acknowledgeChange(peer),
    };
    this.gaps = new Gaps({
      accountId: this.accountId,
      knownBefore: (id, seq, at) => {
        const reportedAt = this.reported.get(id);
        if (reportedAt !== undefined && reportedAt <= seq) return true;
        const seen = this.state.get(NS_SEEN, id);
        return seen !== undefined && Number(dec.decode(seen)) < at;
      },
      problem: (error, meta) => this.problem(error, meta),
    });
    this.groups = matrixGroups({ online: () => this.online(), client: () => this.client, userId: this.userId });
  }

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): Unsubscribe {
    return this.listeners.on(type, fn);
  }

  private emit(e: AdapterEvent): void {
    this.listeners.emit(e);
  }

  private setStatus(status: AccountStatus, error?: string): void {
    if (status === this.status && error === undefined) return;
    this.status = status;
    this.emit(error === undefined ? { type: 'status', accountId: this.accountId, status } : { type: 'status', accountId: this.accountId, status, error });
  }

  private problem(error: string, meta: Record<string, unknown> = {}): void {
    log.warn(error, { accountId: this.accountId, ...meta });
    this.emit({ type: 'error', accountId: this.accountId, error });
  }

  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (!this.accessToken || !this.deviceId) {
      this.setStatus('error', 'This Matrix account has no login: enter the password again in the account settings.');
      return;
    }
    this.stopped = false;
    this.pruneSeen();
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    this.setStatus('connecting');
    try {
      const state = new ClosableState(this.state, this.accountId);
      this.clientState = state;
      const { client, store } = await openClient({
        accountId: this.accountId,
        baseUrl: this.homeserver,
        userId: this.userId,
        deviceId: this.deviceId,
        accessToken: this.accessToken,
        state,
      });
      if (this.stopped) {
        client.stopClient();
        await store.save(true).catch(() => undefined);
        return;
      }
      this.client = client;
      this.store = store;
      this.firstSync = !(await store.getSavedSyncToken());
      this.wire(client);
      this.verifications.attach(client);
      await client.startClient({
        lazyLoadMembers: true,
        initialSyncLimit: INITIAL_SYNC_LIMIT,
        // Messages not yet sent stay apart from the timeline, where a failed one can be found and sent again.
        pendingEventOrdering: PendingEventOrdering.Detached,
      });
    } catch (e) {
      log.error('starting the Matrix client failed', { accountId: this.accountId, error: (e as Error).message });
      this.setStatus('error', `Switchboard could not start this Matrix account: ${(e as Error).message}`);
    }
  }

  /** Core stored these: never report them again (placeholders of undecrypted ones excepted: their text is still to come). */
  messagesStored(remoteIds: readonly string[]): void {
    const at = enc.encode(String(Date.now()));
    const writes = remoteIds.filter((id) => id.startsWith('$') && !this.undecrypted.has(id)).map((key) => ({ ns: NS_SEEN, key, value: at }));
    if (writes.length > 0) this.state.write(writes);
  }

  private pruneSeen(): void {
    const all = this.state.list(NS_SEEN);
    if (all.length <= SEEN_KEEP) return;
    const oldest = all.map(([k, v]) => [k, Number(dec.decode(v))] as const).sort((a, b) => a[1] - b[1]).slice(0, all.length - SEEN_KEEP);
    this.state.write(oldest.map(([key]) => ({ ns: NS_SEEN, key, value: null })));
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    const store = this.store;
    this.client = null;
    this.store = null;
    if (client) {
      client.stopClient();
      // The sync position is written now rather than at the SDK's next five-minute save.
      await store?.save(true).catch((e: unknown) => log.warn('saving the sync state failed', { accountId: this.accountId, error: (e as Error).message }));
    }
    this.clientState?.close();
    this.clientState = null;
    for (const { timer } of this.awaitingKey.values()) clearTimeout(timer);
    this.awaitingKey.clear();
    this.setStatus('offline');
  }

  private wire(c: MatrixClient): void {
    c.on(ClientEvent.Sync, (state, _prev, data) => this.onSync(c, state, data?.error?.message));
    c.on(HttpApiEvent.SessionLoggedOut, () => {
      this.setStatus('error', 'The homeserver ended this login (it was logged out elsewhere): enter the password again in the account settings.');
      c.stopClient();
    });
    c.on(ClientEvent.AccountData, (ev) => {
      if (ev.getType() === (EventType.Direct as string)) this.direct.load(ev.getContent());
    });
    c.on(RoomEvent.Timeline, (ev, room, toStart, removed) => {
      if (removed || !room || ev.status !== null) return; // local echoes wait for their real event
      const history = toStart === true ? !this.gaps.isFilling(room.roomId) : this.firstSync && !this.prepared;
      if (!toStart) this.gaps.liveEvent(room.roomId, ev.getId());
      void this.onTimelineEvent(c, ev, room, history);
    });
    // A limited sync (more happened than it brings) resets the room's timeline: a gap to fill,
    // except in a new account's first sync, whose older history comes when the user scrolls up.
    c.on(RoomEvent.TimelineReset, (room) => {
      // A room just joined has older history, not missed news: that comes on scrolling up.
      if (room && !(this.firstSync && !this.prepared)) this.gaps.opened(room, this.reportSeq);
    });
    c.on(MatrixEventEvent.Decrypted, (ev) => this.onLateDecryption(c, ev));
    c.on(RoomEvent.MyMembership, (room, membership, prev) => this.onMembership(c, room, membership, prev));
    // A rename is announced with the joins, once the sync that brought it is processed.
    c.on(RoomEvent.Name, (room) => {
      if (room.getMyMembership() === 'join') this.joined.add(room);
    });
    c.on(RoomEvent.Receipt, (ev, room) => this.onReceipt(ev, room));
    c.on(RoomMemberEvent.Typing, (_ev, member) => this.onTyping(c, member));
    c.on(RoomStateEvent.Events, (ev) => {
      const type = ev.getType();
      if (type === (EventType.RoomEncryption as string) || type === 'm.bridge' || type === 'uk.half-shot.bridge') {
        const room = c.getRoom(ev.getRoomId() ?? '');
        if (room) this.announceFacts(c, room);
      }
    });
    c.on(CryptoEvent.UserTrustStatusChanged, (userId) => void this.refreshIdentity(c, userId));
  }

  private onSync(c: MatrixClient, state: SyncState, error: string | undefined): void {
    switch (state) {
      case SyncState.Prepared:
        if (!this.prepared) void this.ensureCrossSigning(c);
        this.prepared = true;
        this.direct.load(c.getAccountData(EventType.Direct)?.getContent());
        this.announceJoined(c);
        void this.gaps.fill(c);
        this.setStatus('online');
        for (const room of c.getRooms()) {
          if (room.getMyMembership() === 'join') {
            this.announceFacts(c, room);
            void this.refreshMembers(c, room);
          }
        }
        return;
      case SyncState.Syncing:
      case SyncState.Catchup:
        this.announceJoined(c);
        void this.gaps.fill(c);
        if (this.prepared) this.setStatus('online');
        return;
      case SyncState.Reconnecting:
      case SyncState.Error:
        if (this.status !== 'error') this.setStatus('connecting');
        if (error) log.warn('sync failed; retrying', { accountId: this.accountId, error: error.slice(0, 200) });
        return;
      case SyncState.Stopped:
        return;
    }
  }

  /**
   * Gives the user a cross-signing identity if they have none (the first Matrix client usually
   * does this): verifying someone, or being verified, signs that identity. Homeservers let the
   * first upload through without the password (MSC3967); one that asks for it leaves the account
   * without cross-signing, which is logged.
   */
  private async ensureCrossSigning(c: MatrixClient): Promise<void> {
    const crypto = c.getCrypto();
    if (!crypto) return;
    try {
      if (await crypto.isCrossSigningReady()) return;
      await crypto.bootstrapCrossSigning({
        authUploadDeviceSigningKeys: async (makeRequest) => {
          await makeRequest(null);
        },
      });
    } catch (e) {
      log.warn('setting up cross-signing failed; verification by emoji is unavailable', { accountId: this.accountId, error: (e as Error).message });
    }
  }

  // ---- incoming ----

  /** The conversation a room is: the 1:1 with its peer, or a group. */
  private refOf(c: MatrixClient, room: Room): RemoteConversationRef {
    const peer = directPeer(c, this.direct, room);
    if (peer) return { kind: 'direct', peer: { address: peer, displayName: room.getMember(peer)?.rawDisplayName } };
    return { kind: 'group', roomId: room.roomId, title: roomTitle(room) };
  }

  private async onTimelineEvent(c: MatrixClient, ev: MatrixEvent, room: Room, historical: boolean): Promise<void> {
    const id = ev.getId();
    this.gaps.seen(room.roomId);
    if (!id || this.reported.has(id) || this.state.get(NS_SEEN, id)) return;
    try {
      await c.decryptEventIfNeeded(ev);
    } catch {
      // A failure shows as isDecryptionFailure() below.
    }
    if (this.reported.has(id)) return;
    this.reported.set(id, ++this.reportSeq);
    try {
      this.report(c, ev, room, historical);
    } catch (e) {
      this.problem('A Matrix event could not be read and was skipped.', { roomId: room.roomId, error: (e as Error).message });
    }
  }

  private report(c: MatrixClient, ev: MatrixEvent, room: Room, historical: boolean): void {
    const id = ev.getId()!;
    const d = decodeEvent(ev);
    const sender = ev.getSender() ?? '';
    const self = sender === this.userId;
    if (this.state.get(NS_PLACEHOLDER, id)) {
      // Stored before as a placeholder: its text now, or (still no key) nothing new.
      if (d.kind === 'undecryptable') this.undecrypted.add(id);
      else this.replacePlaceholder(id, d, ev);
      return;
    }
    switch (d.kind) {
      case 'skip':
        if (d.reason) this.problem(`A Matrix event in ${roomTitle(room)} was skipped: ${d.reason}.`, { roomId: room.roomId });
        return;
      case 'edit':
        void this.reportEdit(c, room, sender, d.target, d.text, ev.getTs());
        return;
      case 'redaction':
        // The homeserver only passes redactions by the sender or a moderator.
        this.emit({ type: 'message-redacted', accountId: this.accountId, remoteId: d.target, redactedAt: ev.getTs() });
        return;
      case 'undecryptable': {
        this.undecrypted.add(id);
        const timer = setTimeout(() => {
          this.awaitingKey.delete(id);
          if (!this.client) return;
          this.state.write([{ ns: NS_PLACEHOLDER, key: id, value: enc.encode(room.roomId) }]);
          this.emitMessage(c, ev, room, historical, self, 'Waiting for this message (it cannot be decrypted yet).', {
            problem: "This message is encrypted and its key has not reached this device yet. It appears here when the sender's device shares it.",
          });
        }, KEY_GRACE_MS);
        timer.unref();
        this.awaitingKey.set(id, { timer, historical });
        return;
      }
      case 'message':
        this.emitMessage(c, ev, room, historical, self, d.text, d.problem ? { problem: d.problem } : undefined);
        return;
    }
  }

  /**
   * Only the sender may edit a message (the spec): the original's sender is checked, fetched from
   * the homeserver when the original is not loaded here; an edit by anyone else is ignored.
   */
  private async reportEdit(c: MatrixClient, room: Room, sender: string, target: string, text: string, editedAt: number): Promise<void> {
    let author = room.findEventById(target)?.getSender();
    if (author === undefined) {
      try {
        author = (await c.fetchRoomEvent(room.roomId, target)).sender;
      } catch (e) {
        log.info('the message an edit replaces could not be fetched; edit dropped', { accountId: this.accountId, error: (e as Error).message });
        return;
      }
    }
    if (author !== sender) {
      this.problem(`An edit of someone else's message in ${roomTitle(room)} was ignored.`, { roomId: room.roomId });
      return;
    }
    this.emit({ type: 'message-edit', accountId: this.accountId, remoteId: target, text, editedAt });
  }

  private emitMessage(
    c: MatrixClient,
    ev: MatrixEvent,
    room: Room,
    historical: boolean,
    self: boolean,
    text: string,
    content: { problem: string } | undefined,
  ): void {
    const sender = ev.getSender() ?? '';
    const txn = ev.getUnsigned().transaction_id;
    this.emit({
      type: 'message',
      accountId: this.accountId,
      remoteId: ev.getId()!,
      conversation: this.refOf(c, room),
      sender: self ? 'self' : { address: sender, displayName: room.getMember(sender)?.rawDisplayName },
      text,
      sentAt: ev.getTs(),
      clientId: self && typeof txn === 'string' && txn.length <= 64 ? txn : undefined,
      facts: this.factsOfRoom(room),
      historical: historical || undefined,
      content,
    });
  }

  /** A key arrived for a message reported as undecryptable: its text replaces the placeholder. */
  private onLateDecryption(c: MatrixClient, ev: MatrixEvent): void {
    const id = ev.getId();
    if (!id || !this.undecrypted.has(id) || ev.isDecryptionFailure()) return;
    this.undecrypted.delete(id);
    const waiting = this.awaitingKey.get(id);
    if (waiting) {
      // The key came within the grace period: the message is reported as if it had decrypted at once.
      clearTimeout(waiting.timer);
      this.awaitingKey.delete(id);
      const room = c.getRoom(ev.getRoomId() ?? '');
      if (room) this.report(c, ev, room, waiting.historical);
      return;
    }
    this.replacePlaceholder(id, decodeEvent(ev), ev);
  }

  /** A message stored as a placeholder decrypted: its text replaces it (an edit replaces its target instead). */
  private replacePlaceholder(id: string, d: Decoded, ev: MatrixEvent): void {
    this.state.write([{ ns: NS_PLACEHOLDER, key: id, value: null }]);
    switch (d.kind) {
      case 'message':
        this.emit({ type: 'message-body', accountId: this.accountId, remoteId: id, text: d.text, content: d.problem ? { problem: d.problem } : undefined });
        return;
      case 'edit':
        this.emit({ type: 'message-redacted', accountId: this.accountId, remoteId: id, redactedAt: ev.getTs() });
        this.emit({ type: 'message-edit', accountId: this.accountId, remoteId: d.target, text: d.text, editedAt: ev.getTs() });
        return;
      case 'undecryptable':
        return;
      case 'redaction':
      case 'skip':
        // Not a chat line after all (a reaction, a redaction): the placeholder goes.
        this.emit({ type: 'message-redacted', accountId: this.accountId, remoteId: id, redactedAt: ev.getTs() });
        return;
    }
  }

  /** Invitations become requests; joining a group announces it; leaving marks it left. */
  private onMembership(c: MatrixClient, room: Room, membership: string, prev: string | undefined): void {
    if (membership === 'invite') {
      const inviter = room.getDMInviter() ?? room.getMember(this.userId)?.events.member?.getSender();
      if (!inviter || inviter === this.userId) return;
      const name = room.getMember(inviter)?.rawDisplayName ?? inviter;
      const isDirect = room.getDMInviter() !== undefined;
      if (isDirect) this.directInvites.set(room.roomId, inviter);
      const title = inviteTitle(room);
      this.emit({
        type: 'message',
        accountId: this.accountId,
        // Stripped invite state has no event id: the room id names the invitation.
        remoteId: `invite:${room.roomId}`,
        conversation: isDirect ? { kind: 'direct', peer: { address: inviter, displayName: name } } : { kind: 'group', roomId: room.roomId, title },
        sender: { address: inviter, displayName: name },
        text: isDirect ? `${name} wants to chat with you on Matrix.` : `${name} invited you to ${title}.`,
        sentAt: room.getMember(this.userId)?.events.member?.getTs() ?? Date.now(),
        request: true,
        // The invitation itself is not end-to-end encrypted: the homeserver sees who invites whom, and where.
        facts: { ...this.factsOfRoom(room), endToEnd: 'none', forwardSecrecy: false, identity: 'none', downgradeResistant: false },
      });
      return;
    }
    if (membership === 'join') {
      const inviter = this.directInvites.get(room.roomId);
      if (prev === 'invite' && inviter) void this.rememberDirect(c, room.roomId, inviter);
      this.directInvites.delete(room.roomId);
      this.joined.add(room);
      return;
    }
    if ((membership === 'leave' || membership === 'ban') && !directPeer(c, this.direct, room)) this.emitGroup(room, true);
  }

  /** Rooms joined in the sync just processed: groups are announced; every room's facts are. */
  private announceJoined(c: MatrixClient): void {
    for (const room of [...this.joined]) {
      if (room.getMyMembership() !== 'join') {
        this.joined.delete(room);
        continue;
      }
      // A room still being set up (no name, nobody else in it or invited yet) waits: it may turn
      // out to be a direct chat as soon as its invitation arrives.
      const named = room.currentState.getStateEvents('m.room.name', '') !== null;
      if (!named && room.getInvitedAndJoinedMemberCount() <= 1) continue;
      this.joined.delete(room);
      if (!directPeer(c, this.direct, room)) this.emitGroup(room, false);
      this.announceFacts(c, room);
      void this.refreshMembers(c, room);
    }
  }

  private emitGroup(room: Room, left: boolean): void {
    this.emit({ type: 'group', accountId: this.accountId, roomId: room.roomId, title: roomTitle(room), left });
  }

  /**
   * A direct room (made here, or an accepted direct invitation) goes into `m.direct` at once in
   * memory (so its join is never announced as a group) and then at the homeserver, so every client
   * of the user's shows it as the 1:1 chat.
   */
  private async rememberDirect(c: MatrixClient, roomId: string, peer: string): Promise<void> {
    if (this.direct.peerOf(roomId) === peer) return;
    const content = this.direct.withRoom(peer, roomId);
    this.direct.load(content);
    try {
      await c.setAccountData(EventType.Direct, content);
    } catch (e) {
      log.warn('recording a direct chat failed', { accountId: this.accountId, error: (e as Error).message });
    }
  }

  /** Their read receipt: our messages up to the one they read are read. */
  private onReceipt(ev: MatrixEvent, room: Room): void {
    const content = ev.getContent<Record<string, Record<string, Record<string, unknown>> | undefined>>();
    const readByThem = new Set(
      Object.entries(content)
        .filter(([, byType]) => Object.keys(byType?.['m.read'] ?? {}).some((u) => u !== this.userId))
        .map(([eventId]) => eventId),
    );
    if (readByThem.size === 0) return;
    const events = room.getLiveTimeline().getEvents();
    // The newest event they read, as the timeline orders them (a receipt may name several).
    let end = -1;
    events.forEach((e, i) => {
      if (readByThem.has(e.getId() ?? '')) end = i;
    });
    for (const e of events.slice(0, end + 1)) {
      const txn = e.getUnsigned().transaction_id;
      if (e.getSender() !== this.userId || typeof txn !== 'string' || this.readReported.has(txn)) continue;
      this.readReported.add(txn);
      this.emit({ type: 'delivery', accountId: this.accountId, clientId: txn, state: 'read' });
    }
  }

  private onTyping(c: MatrixClient, member: RoomMember): void {
    if (member.userId === this.userId) return;
    const room = c.getRoom(member.roomId);
    if (!room || room.getMyMembership() !== 'join') return;
    this.emit({
      type: 'typing',
      accountId: this.accountId,
      conversation: this.refOf(c, room),
      sender: { address: member.userId, displayName: member.rawDisplayName },
      typing: member.typing,
    });
  }

  // ---- facts ----

  private factsOfRoom(room: Room | null): SecurityFacts {
    const tls = this.homeserver.startsWith('https:');
    if (!room) return roomFacts({ tls, encrypted: true, bridge: undefined, identity: 'tofu' });
    const others = room
      .getMembers()
      .filter((m) => m.userId !== this.userId && (m.membership === 'join' || m.membership === 'invite'))
      .map((m) => this.identities.get(m.userId) ?? 'tofu');
    const identity: Identity = others.includes('changed') ? 'changed' : others.length > 0 && others.every((i) => i === 'verified') ? 'verified' : 'tofu';
    return roomFacts({ tls, encrypted: room.hasEncryptionStateEvent(), bridge: bridgeOf(room), identity });
  }

  securityFacts(route: RouteRef): SecurityFacts {
    const c = this.client;
    if (!c) return this.factsOfRoom(null);
    if (route.target.startsWith('!')) return this.factsOfRoom(c.getRoom(route.target));
    return this.factsOfRoom(this.directRoomForFacts(c, route.target));
  }

  private announceFacts(c: MatrixClient, room: Room): void {
    const ref = this.refOf(c, room);
    const target = ref.kind === 'direct' ? ref.peer.address : room.roomId;
    this.emit({ type: 'route-facts', accountId: this.accountId, target, facts: this.factsOfRoom(room) });
  }

  /** Reads the members' verification state (asynchronous in the crypto) into the facts' cache. */
  private async refreshMembers(c: MatrixClient, room: Room): Promise<void> {
    for (const m of room.getMembers()) if (m.userId !== this.userId && !this.identities.has(m.userId)) await this.refreshIdentity(c, m.userId, false);
    this.announceFacts(c, room);
  }

  private async refreshIdentity(c: MatrixClient, userId: string, announce = true): Promise<void> {
    const crypto = c.getCrypto();
    if (!crypto) return;
    try {
      const s = await crypto.getUserVerificationStatus(userId);
      const identity: Identity = s.isCrossSigningVerified() ? 'verified' : s.wasCrossSigningVerified() || s.needsUserApproval ? 'changed' : 'tofu';
      const before = this.identities.get(userId);
      this.identities.set(userId, identity);
      if (announce && before !== identity) {
        for (const room of c.getRooms()) if (room.getMyMembership() === 'join' && room.getMember(userId)) this.announceFacts(c, room);
      }
    } catch (e) {
      log.warn('reading a user’s verification failed', { accountId: this.accountId, error: (e as Error).message });
    }
  }

  // ---- outgoing ----

  /** The joined direct room with this peer (the newest active one), if any. */
  private joinedDirectRoom(c: MatrixClient, peer: string): Room | null {
    for (const id of this.direct.roomsWith(peer)) {
      const room = c.getRoom(id);
      if (room?.getMyMembership() === 'join') return room;
    }
    return null;
  }

  /** The room whose facts a direct route has: the joined one, else one they invited the user to. */
  private directRoomForFacts(c: MatrixClient, peer: string): Room | null {
    return this.joinedDirectRoom(c, peer) ?? c.getRooms().find((r) => r.getMyMembership() === 'invite' && r.getDMInviter() === peer) ?? null;
  }

  /** The room a message to this conversation goes to; a first message to someone makes an encrypted direct room. */
  private async roomFor(c: MatrixClient, conv: RemoteConversationRef): Promise<string> {
    if (conv.kind === 'group') return conv.roomId;
    const peer = conv.peer.address;
    parseMxid(peer);
    const existing = this.joinedDirectRoom(c, peer);
    if (existing) return existing.roomId;
    const { room_id } = await c.createRoom({
      preset: Preset.TrustedPrivateChat,
      is_direct: true,
      invite: [peer],
      initial_state: [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: MEGOLM } }],
    });
    await this.rememberDirect(c, room_id, peer);
    return room_id;
  }

  send(out: OutgoingMessage): Promise<SendReceipt> {
    const done = this.state.get(NS_SENT, out.clientId);
    if (done) return Promise.resolve(JSON.parse(dec.decode(done)) as SendReceipt);
    const running = this.inFlight.get(out.clientId);
    if (running) return running;
    const p = this.sendOnce(out).finally(() => this.inFlight.delete(out.clientId));
    this.inFlight.set(out.clientId, p);
    return p;
  }

  private async sendOnce(out: OutgoingMessage): Promise<SendReceipt> {
    const c = this.client;
    // Sending is tried while the sync reconnects too: the homeserver may well be back already.
    if (!c) throw new AdapterSendError('network', 'The Matrix account is not connected.');
    let roomId: string;
    try {
      roomId = await this.roomFor(c, out.conversation);
    } catch (e) {
      throw sendError(e, 'Could not open a chat with them on Matrix');
    }
    const room = c.getRoom(roomId);
    // Accepted a moment ago, the join still on its way: the outbox tries again shortly.
    if (room?.getMyMembership() === 'invite') throw new AdapterSendError('network', 'Still joining this Matrix room.');
    // A message that failed earlier in this session is sent again under the same transaction id
    // (the SDK refuses a new send with a known one; the homeserver answers a repeat with the same event).
    const failed = room?.getPendingEvents().find((e) => e.getTxnId() === out.clientId);
    try {
      const res = failed
        ? await c.resendEvent(failed, room!)
        : await c.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body: out.text }, out.clientId);
      const receipt: SendReceipt = { remoteId: res.event_id, sentAt: Date.now() };
      this.state.write([{ ns: NS_SENT, key: out.clientId, value: enc.encode(JSON.stringify(receipt)) }]);
      return receipt;
    } catch (e) {
      throw sendError(e, 'The homeserver did not take the message');
    }
  }

  async syncHistory(conversation: RemoteConversationRef): Promise<{ more: boolean }> {
    const c = this.client;
    if (!c) return { more: false };
    const room = conversation.kind === 'group' ? c.getRoom(conversation.roomId) : this.joinedDirectRoom(c, conversation.peer.address);
    if (!room) return { more: false };
    await c.scrollback(room, HISTORY_PAGE);
    return { more: room.getLiveTimeline().getPaginationToken(Direction.Backward) !== null };
  }

  async sendReadReceipt(conversation: RemoteConversationRef, upToRemoteId: string): Promise<void> {
    const c = this.client;
    if (!c || !upToRemoteId.startsWith('$')) return;
    const room = conversation.kind === 'group' ? c.getRoom(conversation.roomId) : this.joinedDirectRoom(c, conversation.peer.address);
    if (!room) return;
    const path = `/rooms/${encodeURIComponent(room.roomId)}/receipt/m.read/${encodeURIComponent(upToRemoteId)}`;
    await c.http.authedRequest(Method.Post, path, undefined, {});
  }

  async sendTyping(conversation: RemoteConversationRef, typing: boolean): Promise<void> {
    const c = this.client;
    if (!c) return;
    const room = conversation.kind === 'group' ? c.getRoom(conversation.roomId) : this.joinedDirectRoom(c, conversation.peer.address);
    if (room) await c.sendTyping(room.roomId, typing, TYPING_TIMEOUT_MS);
  }

  /** The user accepted an invitation (a request): join the room(s) it was for. */
  peerAccepted(conversation: RemoteConversationRef): void {
    const c = this.client;
    if (!c) return;
    const rooms =
      conversation.kind === 'group'
        ? [c.getRoom(conversation.roomId)].filter((r): r is Room => r !== null)
        : c.getRooms().filter((r) => r.getMyMembership() === 'invite' && r.getDMInviter() === conversation.peer.address);
    for (const room of rooms) {
      if (room.getMyMembership() !== 'invite') continue;
      if (conversation.kind === 'direct') void this.rememberDirect(c, room.roomId, conversation.peer.address);
      c.joinRoom(room.roomId).catch((e: unknown) => this.problem('Joining the Matrix room failed.', { error: (e as Error).message }));
    }
  }

  private online(): MatrixClient {
    if (!this.client || this.status !== 'online') throw new AdapterActionError('unavailable', 'The Matrix account is not connected.');
    return this.client;
  }
}

export function createMatrixAdapter(account: AccountConfig, services: AdapterServices): Adapter {
  return new MatrixAdapter(account, services);
}
