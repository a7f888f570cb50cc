import { MatrixEvent } from 'matrix-js-sdk';
import { describe, expect, it } from 'vitest';
import { decodeEvent, MAX_TEXT } from './decode.ts';

const ev = (type: string, content: unknown, extra: Record<string, unknown> = {}) =>
  new MatrixEvent({ type, content: content as Record<string, unknown>, sender: '@bob:x.org', event_id: '$e1', room_id: '!r:x.org', origin_server_ts: 1, ...extra });

describe('decodeEvent', () => {
  it('reads text, notices and emotes; names files it does not fetch', () => {
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.text', body: 'hi' }))).toEqual({ kind: 'message', text: 'hi', problem: undefined });
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.notice', body: 'bot' }))).toMatchObject({ kind: 'message', text: 'bot' });
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.emote', body: 'waves' }))).toMatchObject({ kind: 'message', text: '* waves' });
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.image', body: 'cat.png' }))).toMatchObject({ kind: 'message', text: '[image: cat.png]' });
  });

  it('cuts a huge body and says so', () => {
    const d = decodeEvent(ev('m.room.message', { msgtype: 'm.text', body: 'x'.repeat(MAX_TEXT + 10) }));
    expect(d.kind === 'message' && d.text.length).toBe(MAX_TEXT);
    expect(d.kind === 'message' && d.problem).toMatch(/only the first 64 KB/);
  });

  it('skips content of the wrong types with a reason, and state and other events without one', () => {
    expect(decodeEvent(ev('m.room.message', { msgtype: 7, body: 'x' }))).toEqual({ kind: 'skip', reason: 'a message without a msgtype or body' });
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.text', body: ['x'] }))).toMatchObject({ kind: 'skip', reason: expect.any(String) as string });
    expect(decodeEvent(ev('m.room.message', 'not an object'))).toMatchObject({ kind: 'skip' });
    expect(decodeEvent(ev('m.reaction', { 'm.relates_to': {} }))).toEqual({ kind: 'skip' });
    expect(decodeEvent(ev('m.room.name', { name: 'x' }, { state_key: '' }))).toEqual({ kind: 'skip' });
  });

  it('reads edits, and refuses ones without a valid target or new content', () => {
    const edit = (newContent: unknown, target: unknown = '$orig') =>
      decodeEvent(ev('m.room.message', { msgtype: 'm.text', body: '* new', 'm.new_content': newContent, 'm.relates_to': { rel_type: 'm.replace', event_id: target } }));
    expect(edit({ msgtype: 'm.text', body: 'new' })).toEqual({ kind: 'edit', target: '$orig', text: 'new' });
    expect(edit([])).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/edit/) as string });
    expect(edit({ msgtype: 'm.text', body: 'new' }, 17)).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/edit/) as string });
    expect(edit({ msgtype: 'm.text', body: 'new' }, 'no-dollar')).toMatchObject({ kind: 'skip' });
  });

  it('reads redactions by their target', () => {
    expect(decodeEvent(ev('m.room.redaction', {}, { redacts: '$gone' }))).toEqual({ kind: 'redaction', target: '$gone' });
    expect(decodeEvent(ev('m.room.redaction', { redacts: 'nonsense' }))).toMatchObject({ kind: 'skip' });
  });

  it('an encrypted event it could not decrypt is undecryptable; a verification request is no chat line', () => {
    expect(decodeEvent(ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' }))).toMatchObject({ kind: 'undecryptable' });
    expect(decodeEvent(ev('m.room.message', { msgtype: 'm.key.verification.request', body: 'your client does not support' }))).toEqual({ kind: 'skip' });
  });
});
