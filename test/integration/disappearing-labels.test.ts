/**
 * The renderer's words for disappearing timers and countdowns (a plain unit test: the unit
 * project does not look inside renderer/, so it lives with the other disappearing tests).
 */
import { describe, expect, it } from 'vitest';
import { remainingLabel, remainingShort, timerLabel, TIMER_CHOICES, untilLabelChanges } from '../../renderer/src/format/disappearing.ts';

describe('timer labels', () => {
  it('names the offered choices and a peer\'s own timer in its largest exact unit', () => {
    expect(TIMER_CHOICES.map((c) => timerLabel(c.seconds))).toEqual(['Off', '5 minutes', '1 hour', '1 day', '1 week', '4 weeks']);
    expect(timerLabel(90 * 60)).toBe('90 minutes');
    expect(timerLabel(2 * 86_400)).toBe('2 days');
    expect(timerLabel(45)).toBe('45 seconds');
    expect(timerLabel(60)).toBe('1 minute');
  });
});

describe('countdowns', () => {
  it('round down to the largest unit, never below one', () => {
    expect(remainingLabel(3_599_500)).toBe('1 hour');
    expect(remainingLabel(3_599_000)).toBe('59 minutes');
    expect(remainingLabel(2 * 86_400_000 + 5)).toBe('2 days');
    expect(remainingLabel(61_000)).toBe('1 minute');
    expect(remainingLabel(59_000)).toBe('59 seconds');
    expect(remainingLabel(1)).toBe('1 second');
    expect(remainingShort(3_599_000)).toBe('59m');
    expect(remainingShort(13 * 86_400_000)).toBe('1w');
  });

  it('say when the words next change, so the badge re-renders then and only then', () => {
    for (const ms of [3_599_500, 3_600_000, 300_000, 299_999, 61_500, 60_000, 59_999, 1_500, 1_000, 250, 2 * 86_400_000 + 7]) {
      const wait = untilLabelChanges(ms);
      const label = remainingLabel(ms);
      expect(remainingLabel(ms - wait + 1)).toBe(label);
      if (ms - wait > 0) expect(remainingLabel(ms - wait)).not.toBe(label);
    }
    expect(untilLabelChanges(3_599_500)).toBe(500);
    expect(untilLabelChanges(50)).toBe(100);
  });
});
