import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { MemoryStateStore } from '../email/autocrypt/memory-store.ts';
import { MucRooms } from './muc.ts';

const ROOM = 'club@muc.xmpp.test';

function rooms(): MucRooms {
  const state = new MemoryStateStore();
  state.write([{ ns: 'xmpp-muc', key: ROOM, value: new TextEncoder().encode(JSON.stringify({ nick: 'ada', title: 'Club' })) }]);
  state.write([{ ns: 'xmpp-muc', key: 'broken@muc.xmpp.test', value: new TextEncoder().encode('{not json') }]);
  return new MucRooms({ client: () => null, state, self: 'ada@xmpp.test', roomChanged: () => undefined, problem: () => undefined });
}

const groupchat = (from: string, ...children: ReturnType<typeof xml>[]) => xml('message', { type: 'groupchat', from, id: 'm1' }, ...children);

describe('reading a room', () => {
  it('keeps joined rooms across restarts and forgets a damaged entry', () => {
    const r = rooms();
    expect(r.isRoom(ROOM)).toBe(true);
    expect(r.isRoom('broken@muc.xmpp.test')).toBe(false);
    expect(r.nickIn(ROOM)).toBe('ada');
  });

  it('reads a message with the room’s stanza-id, tells ours and history apart, and refuses what does not fit', () => {
    const r = rooms();
    const sid = xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ROOM, id: 'arch-1' });
    const forged = xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'evil@xmpp.test', id: 'forged' });
    expect(r.readMessage(groupchat(`${ROOM}/bob`, xml('body', {}, 'hi'), forged, sid))).toMatchObject({
      kind: 'message',
      message: { room: ROOM, nick: 'bob', self: false, text: 'hi', remoteId: 'arch-1', history: false },
    });
    const past = r.readMessage(groupchat(`${ROOM}/ada`, xml('body', {}, 'mine'), xml('delay', { xmlns: 'urn:xmpp:delay', from: ROOM, stamp: '2026-01-01T00:00:00Z' })));
    expect(past).toMatchObject({ kind: 'message', message: { self: true, history: true, remoteId: `${ROOM}/ada/m1`, sentAt: Date.parse('2026-01-01T00:00:00Z') } });
    expect(r.readMessage(groupchat(`${ROOM}/${'n'.repeat(101)}`, xml('body', {}, 'x')))).toMatchObject({ kind: 'refused' });
    expect(r.readMessage(groupchat(`${ROOM}/bob`, xml('body', {}, 'x'.repeat(64_001))))).toMatchObject({ kind: 'refused' });
    expect(r.readMessage(groupchat('other@muc.xmpp.test/bob', xml('body', {}, 'not ours')))).toEqual({ kind: 'ignored' });
    expect(r.readMessage(groupchat(ROOM, xml('subject', {}, 'topic')))).toEqual({ kind: 'ignored' });
    expect(r.readMessage(groupchat(`${ROOM}/bob`, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })))).toMatchObject({ kind: 'typing', nick: 'bob', typing: true });
  });

  it('reads invitations: mediated ones name the inviter even with a legacy direct element', () => {
    const r = rooms();
    const mediated = xml(
      'message',
      { from: 'new@muc.xmpp.test' },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('invite', { from: 'bob@xmpp.test/phone' })),
      xml('x', { xmlns: 'jabber:x:conference', jid: 'new@muc.xmpp.test' }),
    );
    expect(r.readInvitation(mediated)).toEqual({ room: 'new@muc.xmpp.test', from: 'bob@xmpp.test' });
    expect(r.readInvitation(xml('message', { from: 'bob@xmpp.test/x' }, xml('x', { xmlns: 'jabber:x:conference', jid: 'd@muc.xmpp.test' })))).toEqual({ room: 'd@muc.xmpp.test', from: 'bob@xmpp.test' });
    expect(r.readInvitation(xml('message', { from: 'bob@xmpp.test' }, xml('body', {}, 'hi')))).toBeNull();
  });

  it('refuses bad addresses and nicknames in words, and needs a connection to join', async () => {
    const r = rooms();
    await expect(r.join('not a room', 'ada')).rejects.toThrow(/not a group chat address/);
    await expect(r.join(ROOM.replace('club', 'other'), 'a/b')).rejects.toThrow(/cannot be a nickname/);
    await expect(r.join('other@muc.xmpp.test', 'ada')).rejects.toThrow(/Not connected/);
    expect(r.isRoom('other@muc.xmpp.test')).toBe(false);
  });
});
