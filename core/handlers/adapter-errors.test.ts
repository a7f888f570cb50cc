import { describe, expect, it } from 'vitest';
import { AdapterActionError } from '../../adapters/contract.ts';
import { ApiError } from '../api/commands.ts';
import { toApiError } from './adapter-errors.ts';

describe('toApiError', () => {
  it.each([
    ['invalid', 'bad-request'],
    ['expired', 'conflict'],
    ['revoked', 'conflict'],
    ['used-up', 'conflict'],
    ['not-found', 'not-found'],
    ['unavailable', 'unavailable'],
  ] as const)('maps an adapter refusal %s to %s, keeping its message', (adapterCode, apiCode) => {
    const mapped = toApiError(new AdapterActionError(adapterCode, 'In the adapter\'s words.'));
    expect(mapped).toBeInstanceOf(ApiError);
    expect(mapped).toMatchObject({ code: apiCode, message: "In the adapter's words." });
  });

  it('leaves anything else alone (the api reports it as internal)', () => {
    const plain = new Error('boom');
    expect(toApiError(plain)).toBe(plain);
    const unknownCode = Object.assign(new Error('odd'), { name: 'AdapterActionError', code: 'toString' });
    expect(toApiError(unknownCode)).toBe(unknownCode);
    expect(toApiError('a string')).toBe('a string');
  });
});
