/** The native adapter's facts, rated by core/security: the figures docs/security-ratings.md gives. */
import { describe, expect, it } from 'vitest';
import { nativeFacts } from '../../adapters/native/facts.ts';
import { rate } from '../../core/security/rating.ts';

describe('native route ratings', () => {
  it('a TLS relay, key trusted on first use: 93 green', () => {
    expect(rate(nativeFacts('wss://relay.example.org', 'tofu'), 'native')).toMatchObject({ score: 93, colour: 'green' });
  });
  it('verified: 100 green', () => {
    expect(rate(nativeFacts('wss://relay.example.org', 'verified'), 'native')).toMatchObject({ score: 100, colour: 'green' });
  });
  it('a plain ws:// relay costs the connection points only: 83 green', () => {
    const r = rate(nativeFacts('ws://127.0.0.1:7300', 'tofu'), 'native');
    expect(r).toMatchObject({ score: 83, colour: 'green' });
    expect(r.reasons.find((x) => x.criterion === 'transport')).toMatchObject({ points: 0, passed: false });
  });
  it('a changed key: red until acknowledged', () => {
    expect(rate(nativeFacts('wss://relay.example.org', 'changed'), 'native')).toMatchObject({ score: 85, colour: 'red' });
  });
});
