import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { MAX_BODY_CHARS, readMessage } from './incoming.ts';

const SELF = 'ada@xmpp.test';
const chat = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml('message', { type: 'chat', to: `${SELF}/sb`, ...attrs }, ...children);

describe('reading an XMPP message', () => {
  it('takes a chat message, with the server stanza-id for this account as its id', () => {
    const r = readMessage(
      chat({ from: 'Grace@xmpp.test/phone', id: 'm1' }, xml('body', {}, 'hello'), xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'mallory@evil.test', id: 'forged' }), xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: SELF, id: 'srv-1' })),
      SELF,
      true,
    );
    expect(r).toEqual({ kind: 'chat', message: { peer: 'grace@xmpp.test', direction: 'in', text: 'hello', remoteId: 'srv-1', originId: null } });
  });

  it('falls back to sender and id, and ignores what carries no text (chat states, receipts)', () => {
    expect(readMessage(chat({ from: 'grace@xmpp.test/p', id: 'm2' }, xml('body', {}, 'hi')), SELF, true)).toMatchObject({ message: { remoteId: 'grace@xmpp.test/m2' } });
    expect(readMessage(chat({ from: 'grace@xmpp.test/p', id: 'm3' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })), SELF, true)).toEqual({ kind: 'ignored' });
    expect(readMessage(xml('message', { type: 'headline', from: 'news@xmpp.test' }, xml('body', {}, 'ad')), SELF, true)).toEqual({ kind: 'ignored' });
  });

  it('takes a carbon of a message sent from another client as ours, with its origin id', () => {
    const inner = xml('message', { type: 'chat', from: `${SELF}/laptop`, to: 'grace@xmpp.test', id: 'c1' }, xml('body', {}, 'from my laptop'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'client-1' }));
    const carbon = xml('message', { from: SELF, to: `${SELF}/sb` }, xml('sent', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)));
    expect(readMessage(carbon, SELF, true)).toEqual({
      kind: 'chat',
      message: { peer: 'grace@xmpp.test', direction: 'out', text: 'from my laptop', remoteId: `${SELF}/c1`, originId: 'client-1' },
    });
  });

  it('refuses a forged carbon, an oversize body, an invalid sender and a message without any id, in words', () => {
    const inner = xml('message', { type: 'chat', from: `${SELF}/x`, to: 'grace@xmpp.test', id: 'f' }, xml('body', {}, 'I never said this'));
    const forged = xml('message', { from: 'mallory@evil.test', to: SELF }, xml('sent', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)));
    expect(readMessage(forged, SELF, true)).toEqual({ kind: 'refused', reason: "a carbon copy from mallory@evil.test, not from the account's own server" });
    const huge = readMessage(chat({ from: 'grace@xmpp.test/p', id: 'h' }, xml('body', {}, 'x'.repeat(MAX_BODY_CHARS + 1))), SELF, true);
    expect(huge).toEqual({ kind: 'refused', reason: `a message from grace@xmpp.test of ${MAX_BODY_CHARS + 1} characters (at most ${MAX_BODY_CHARS} are taken)` });
    expect(readMessage(chat({ from: 'not a jid', id: 'x' }, xml('body', {}, 'hi')), SELF, true)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('invalid address') as string });
    expect(readMessage(chat({ from: 'grace@xmpp.test/p' }, xml('body', {}, 'hi')), SELF, true)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('without an id') as string });
  });
});
