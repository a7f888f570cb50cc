import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { PresenceBook, readPresence, readRosterItems, Roster } from './roster.ts';
import { readAnswer, readSignals } from './signals.ts';

describe('the roster', () => {
  it('takes valid items (bare, lower-cased JIDs; names cut), skips broken ones, and says who is known', () => {
    const items = readRosterItems(
      xml(
        'query',
        { xmlns: 'jabber:iq:roster' },
        xml('item', { jid: 'Grace@XMPP.test', name: ' Grace ', subscription: 'both' }),
        xml('item', { jid: 'not a jid', subscription: 'both' }),
        xml('item', { jid: 'linus@xmpp.test', subscription: 'weird', ask: 'subscribe' }),
        xml('item', { jid: 'long@xmpp.test', name: 'x'.repeat(1_000) }),
      ),
    );
    expect(items.map((i) => [i.jid, i.subscription, i.pending])).toEqual([
      ['grace@xmpp.test', 'both', false],
      ['linus@xmpp.test', 'none', true],
      ['long@xmpp.test', 'none', false],
    ]);
    expect(items[0]!.name).toBe('Grace');
    expect(items[2]!.name).toHaveLength(200);
    const roster = new Roster();
    roster.replace(items);
    expect([roster.knows('grace@xmpp.test'), roster.approved('grace@xmpp.test'), roster.subscribedTo('linus@xmpp.test')]).toEqual([true, true, false]);
    roster.apply({ jid: 'grace@xmpp.test', name: null, subscription: 'remove', pending: false });
    expect(roster.knows('grace@xmpp.test')).toBe(false);
  });

  it('reads presence: states, subscription requests with a nickname, nothing from invalid senders', () => {
    expect(readPresence(xml('presence', { from: 'ada@xmpp.test/phone' }, xml('show', {}, 'xa')))).toEqual({ kind: 'state', from: 'ada@xmpp.test/phone', state: 'away' });
    expect(readPresence(xml('presence', { from: 'ada@xmpp.test/phone', type: 'unavailable' }))).toMatchObject({ state: 'offline' });
    expect(readPresence(xml('presence', { from: 'eve@xmpp.test', type: 'subscribe' }, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Eve')))).toEqual({
      kind: 'subscribe',
      jid: 'eve@xmpp.test',
      name: 'Eve',
    });
    expect(readPresence(xml('presence', { from: '<script>', type: 'subscribe' }))).toEqual({ kind: 'ignored' });
    expect(readPresence(xml('presence', { from: 'ada@xmpp.test', type: 'probe' }))).toEqual({ kind: 'ignored' });
  });

  it('a contact is online while any client is, away when all are, offline when none is (or the bare JID goes)', () => {
    const book = new PresenceBook();
    expect(book.update('ada@xmpp.test/phone', 'away')).toEqual({ jid: 'ada@xmpp.test', state: 'away' });
    expect(book.update('ada@xmpp.test/laptop', 'available')).toEqual({ jid: 'ada@xmpp.test', state: 'available' });
    expect(book.update('ada@xmpp.test/phone', 'offline')).toBeNull();
    expect(book.update('ada@xmpp.test/laptop', 'offline')).toEqual({ jid: 'ada@xmpp.test', state: 'offline' });
    book.update('ada@xmpp.test/a', 'available');
    book.update('ada@xmpp.test/b', 'available');
    expect(book.update('ada@xmpp.test', 'offline')).toEqual({ jid: 'ada@xmpp.test', state: 'offline' });
    expect(book.online()).toEqual([]);
  });
});

describe('receipts, markers and chat states', () => {
  it('reads what a message says besides its text, ignoring overlong ids', () => {
    const s = readSignals(
      xml(
        'message',
        {},
        xml('received', { xmlns: 'urn:xmpp:receipts', id: 'c1' }),
        xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'x'.repeat(300) }),
        xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
        xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ),
    );
    expect(s).toEqual({ received: 'c1', displayed: null, typing: true, wantsReceipt: true, markable: false });
    expect(readSignals(xml('message', {}, xml('paused', { xmlns: 'http://jabber.org/protocol/chatstates' }))).typing).toBe(false);
    expect(readSignals(xml('message', {})).typing).toBeNull();
  });

  it('answers only what was asked for', () => {
    expect(readAnswer('m1', false, false)).toEqual([]);
    expect(readAnswer('m1', true, false).map((e) => e.name)).toEqual(['received', 'store']);
    expect(readAnswer('m1', true, true).map((e) => e.name)).toEqual(['received', 'displayed', 'store']);
  });
});
