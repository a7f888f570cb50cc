/**
 * TEST DOUBLE — used only by tests, benchmarks and the demo host, never shipped.
 * In-memory invites, an accept quarantine and safety numbers for the test double's `native`
 * accounts, so core's plumbing (and the UI) can be exercised without the real native adapter.
 * Invites live on the `TestNetwork`: an invite made by one test account can be accepted by another.
 *
 * Like a real adapter, the double emits `changed` only for what happened remotely (someone used an
 * invite, an accept was held, a peer's key changed); what the user did through core, core announces.
 */
import { createHash } from 'node:crypto';
import {
  AdapterActionError,
  type AcceptedInvite,
  type InviteActions,
  type InviteInfo,
  type InviteOptions,
  type QuarantinedAccept,
  type RemotePerson,
  type SafetyNumber,
  type VerificationActions,
} from '../../adapters/contract.ts';
import type { TestAdapter, TestNetwork } from './test-adapter.ts';

const DAY_S = 86_400;
/** How long an invite lasts when its maker does not say (per kind; a contact address never expires). */
const DEFAULT_EXPIRY_S: Record<InviteOptions['kind'], number | null> = {
  'one-use': 7 * DAY_S,
  'multi-use': 7 * DAY_S,
  timed: DAY_S,
  address: null,
};
const LONG_LINK = 'switchboard://invite/1/';
const SHORT_LINK = 'switchboard://i/1/';

interface MadeInvite {
  id: string;
  kind: InviteOptions['kind'];
  label: string;
  token: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

interface HeldAccept extends QuarantinedAccept {
  person: RemotePerson;
}

/** Where an invite link leads on the test network. */
export interface InviteTarget {
  accountId: string;
  inviteId: string;
}

/** The links of an invite token. */
export function inviteLinks(token: string): { link: string; shortLink: string } {
  return { link: `${LONG_LINK}test-${token}`, shortLink: `${SHORT_LINK}test-${token}` };
}

/** The invites of one test account. */
export class TestInvites implements InviteActions {
  private readonly made = new Map<string, MadeInvite>();
  private readonly held: HeldAccept[] = [];
  private seq = 0;

  constructor(
    private readonly adapter: TestAdapter,
    private readonly network: TestNetwork,
  ) {}

  async create(opts: InviteOptions): Promise<InviteInfo> {
    this.requireOnline('An invite needs the relay');
    if (opts.kind === 'multi-use' && (opts.uses === undefined || opts.uses < 2)) {
      throw new AdapterActionError('invalid', 'Say how many people may use this invite (2 or more).');
    }
    if (opts.kind !== 'multi-use' && opts.uses !== undefined) {
      throw new AdapterActionError('invalid', 'Only a multi-use invite takes a number of uses.');
    }
    if (opts.kind === 'address' && opts.expiresInSeconds !== undefined) {
      throw new AdapterActionError('invalid', 'A contact address does not expire.');
    }
    const now = this.network.now();
    const expiresInS = opts.expiresInSeconds ?? DEFAULT_EXPIRY_S[opts.kind];
    const id = `inv-${++this.seq}`;
    const invite: MadeInvite = {
      id,
      kind: opts.kind,
      label: opts.label ?? '',
      token: `${this.adapter.accountId}.${id}`,
      createdAt: now,
      expiresAt: expiresInS === null ? null : now + expiresInS * 1000,
      maxUses: opts.kind === 'multi-use' ? (opts.uses ?? null) : opts.kind === 'address' ? null : 1,
      uses: 0,
      revoked: false,
    };
    this.made.set(id, invite);
    const links = inviteLinks(invite.token);
    const target = { accountId: this.adapter.accountId, inviteId: id };
    this.network.inviteLinks.set(links.link, target);
    this.network.inviteLinks.set(links.shortLink, target);
    return this.info(invite);
  }

  list(): InviteInfo[] {
    return [...this.made.values()].map((i) => this.info(i));
  }

  async revoke(inviteId: string): Promise<void> {
    const invite = this.made.get(inviteId);
    if (!invite) throw new AdapterActionError('not-found', 'That invite does not exist.');
    invite.revoked = true;
  }

  async accept(link: string): Promise<AcceptedInvite> {
    this.requireOnline('Accepting an invite needs the relay');
    const trimmed = link.trim();
    if (!trimmed.startsWith(LONG_LINK) && !trimmed.startsWith(SHORT_LINK)) {
      throw new AdapterActionError('invalid', 'That is not a Switchboard invite link.');
    }
    const outside = this.network.outsideInvites.get(trimmed);
    if (outside) {
      this.adapter.knownPeers.add(outside.address);
      return { peer: { ...outside } };
    }
    const target = this.network.inviteLinks.get(trimmed);
    if (!target) throw new AdapterActionError('not-found', 'This invite does not exist. Ask for a new one.');
    if (target.accountId === this.adapter.accountId) throw new AdapterActionError('invalid', 'This is your own invite.');
    const inviter = this.network.adapter(target.accountId);
    if (!inviter.invites) throw new AdapterActionError('not-found', 'This invite does not exist. Ask for a new one.');
    inviter.invites.receiveAccept(target.inviteId, { address: this.adapter.account.address, displayName: this.adapter.account.displayName });
    this.adapter.knownPeers.add(inviter.account.address);
    return { peer: { address: inviter.account.address, displayName: inviter.account.displayName } };
  }

  quarantine(): QuarantinedAccept[] {
    return this.held.map(({ person: _person, ...q }) => q);
  }

  async decideQuarantine(ids: readonly string[] | 'all', accept: boolean): Promise<void> {
    const chosen = ids === 'all' ? [...this.held] : ids.map((id) => this.held.find((h) => h.id === id));
    if (chosen.some((h) => h === undefined)) throw new AdapterActionError('not-found', 'Some of these requests are no longer waiting.');
    for (const h of chosen as HeldAccept[]) {
      this.held.splice(this.held.indexOf(h), 1);
      if (!accept) continue;
      const invite = this.made.get(h.inviteId);
      if (invite) invite.uses++;
      this.welcome(h.person, invite);
    }
  }

  /** Someone on the network accepted one of this account's invites. Throws the refusal they get. */
  receiveAccept(inviteId: string, person: RemotePerson): void {
    const invite = this.made.get(inviteId);
    if (!invite) throw new AdapterActionError('not-found', 'This invite does not exist. Ask for a new one.');
    switch (this.state(invite)) {
      case 'revoked':
        throw new AdapterActionError('revoked', 'The person who made this invite withdrew it.');
      case 'expired':
        throw new AdapterActionError('expired', 'This invite has expired. Ask for a new one.');
      case 'used-up':
        throw new AdapterActionError('used-up', 'This invite has already been used.');
      case 'active':
        break;
    }
    if (this.network.quarantineAccepts) {
      this.held.push({
        id: `q-${++this.seq}`,
        inviteId,
        inviteLabel: invite.label,
        displayName: person.displayName ?? person.address,
        arrivedAt: this.network.now(),
        person,
      });
      this.adapter.emitRaw({ type: 'changed', accountId: this.adapter.accountId, topic: 'quarantine' });
      return;
    }
    invite.uses++;
    this.welcome(person, invite);
    this.adapter.emitRaw({ type: 'changed', accountId: this.adapter.accountId, topic: 'invites' });
  }

  /**
   * Someone who used an invite is reachable now: the account says so before any message. Whoever
   * used a public contact address is a stranger, so their conversation starts as a request.
   */
  private welcome(person: RemotePerson, invite: MadeInvite | undefined): void {
    this.adapter.knownPeers.add(person.address);
    this.adapter.emitRaw({
      type: 'peer',
      accountId: this.adapter.accountId,
      peer: person,
      request: invite?.kind === 'address',
      ...(invite ? { inviteId: invite.id } : {}),
    });
  }

  private state(i: MadeInvite): InviteInfo['state'] {
    if (i.revoked) return 'revoked';
    if (i.maxUses !== null && i.uses >= i.maxUses) return 'used-up';
    if (i.expiresAt !== null && this.network.now() >= i.expiresAt) return 'expired';
    return 'active';
  }

  private info(i: MadeInvite): InviteInfo {
    const links = inviteLinks(i.token);
    return {
      id: i.id,
      kind: i.kind,
      label: i.label,
      link: links.link,
      shortLink: links.shortLink,
      createdAt: i.createdAt,
      expiresAt: i.expiresAt,
      maxUses: i.maxUses,
      uses: i.uses,
      state: this.state(i),
    };
  }

  private requireOnline(what: string): void {
    if (this.adapter.status !== 'online') throw new AdapterActionError('unavailable', `${what}, and this account is offline. Try again when it is connected.`);
  }
}

/** What one test account knows of a peer's key. */
interface PeerKeyState {
  verified: boolean;
  changed: boolean;
}

/** Safety numbers of one test account. Keys are versions on the network: `network.changeKey` bumps one. */
export class TestVerification implements VerificationActions {
  private readonly peers = new Map<string, PeerKeyState>();

  constructor(
    private readonly adapter: TestAdapter,
    private readonly network: TestNetwork,
  ) {}

  safetyNumber(peerAddress: string): SafetyNumber {
    const state = this.peer(peerAddress);
    const own = `${this.adapter.account.address}#${this.network.keyVersion(this.adapter.account.address)}`;
    const theirs = `${peerAddress}#${this.network.keyVersion(peerAddress)}`;
    // Sorted, so both sides compute the same number.
    const hash = createHash('sha512').update([own, theirs].sort().join('\n')).digest();
    const groups: string[] = [];
    for (let g = 0; g < 12; g++) groups.push(String(hash.readUIntBE(g * 5, 5) % 100_000).padStart(5, '0'));
    return { digits: groups.join(' '), qrPayload: hash.subarray(0, 32).toString('base64'), verified: state.verified, changed: state.changed };
  }

  setVerified(peerAddress: string, verified: boolean): void {
    const state = this.peer(peerAddress);
    state.verified = verified;
    // Verifying the key as it is now settles a change too.
    if (verified) state.changed = false;
    this.adapter.announceFacts(peerAddress);
  }

  acknowledgeChange(peerAddress: string): void {
    const state = this.peer(peerAddress);
    state.changed = false;
    state.verified = false;
    this.adapter.announceFacts(peerAddress);
  }

  compareScanned(peerAddress: string, qrPayload: string): boolean {
    return this.safetyNumber(peerAddress).qrPayload === qrPayload;
  }

  /** The identity fact for a peer, or null when nothing is known beyond first use. */
  identityFact(peerAddress: string): 'verified' | 'changed' | null {
    const state = this.peers.get(peerAddress);
    if (!state) return null;
    return state.changed ? 'changed' : state.verified ? 'verified' : null;
  }

  /** A peer's key changed on the network: a verification no longer holds. Returns whether this account knew the peer. */
  keyChanged(peerAddress: string): boolean {
    if (!this.adapter.knownPeers.has(peerAddress)) return false;
    const state = this.peer(peerAddress);
    state.changed = true;
    state.verified = false;
    return true;
  }

  private peer(peerAddress: string): PeerKeyState {
    if (!this.adapter.knownPeers.has(peerAddress)) {
      throw new AdapterActionError('not-found', 'There is no encrypted chat with this contact yet.');
    }
    let state = this.peers.get(peerAddress);
    if (!state) this.peers.set(peerAddress, (state = { verified: false, changed: false }));
    return state;
  }
}
