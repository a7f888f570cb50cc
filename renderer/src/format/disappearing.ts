/** Words for disappearing-message timers and countdowns. */

/** The timers the conversation menu offers (seconds; 0: off), as Signal offers them. */
export const TIMER_CHOICES: readonly { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Off' },
  { seconds: 300, label: '5 minutes' },
  { seconds: 3_600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 604_800, label: '1 week' },
  { seconds: 2_419_200, label: '4 weeks' },
];

const UNITS: readonly { seconds: number; one: string; many: string; short: string }[] = [
  { seconds: 604_800, one: 'week', many: 'weeks', short: 'w' },
  { seconds: 86_400, one: 'day', many: 'days', short: 'd' },
  { seconds: 3_600, one: 'hour', many: 'hours', short: 'h' },
  { seconds: 60, one: 'minute', many: 'minutes', short: 'm' },
  { seconds: 1, one: 'second', many: 'seconds', short: 's' },
];

/** The largest unit that fits, and how many of it (at least 1). */
function largest(seconds: number): { count: number; unit: (typeof UNITS)[number] } {
  const s = Math.max(1, seconds);
  const unit = UNITS.find((u) => s >= u.seconds) ?? UNITS[UNITS.length - 1]!;
  return { count: Math.floor(s / unit.seconds), unit };
}

/** A timer in words: "Off", "1 hour", "4 weeks", "90 minutes" (a peer's own choice). */
export function timerLabel(seconds: number): string {
  if (seconds <= 0) return 'Off';
  const choice = TIMER_CHOICES.find((c) => c.seconds === seconds);
  if (choice) return choice.label;
  // The largest unit that divides it exactly, so a peer's 90 minutes is not shown as "1 hour".
  const unit = UNITS.find((u) => seconds % u.seconds === 0) ?? UNITS[UNITS.length - 1]!;
  const n = seconds / unit.seconds;
  return `${n} ${n === 1 ? unit.one : unit.many}`;
}

/** What is left of a countdown, rounded down to its largest unit: "59 minutes", "2 days", "1 second". */
export function remainingLabel(ms: number): string {
  const { count, unit } = largest(Math.ceil(ms / 1000));
  return `${count} ${count === 1 ? unit.one : unit.many}`;
}

/** The same, compact for the message's meta line: "59m", "2d". */
export function remainingShort(ms: number): string {
  const { count, unit } = largest(Math.ceil(ms / 1000));
  return `${count}${unit.short}`;
}

/** Milliseconds until `remainingLabel` (and `remainingShort`) read differently (at least 100 ms). */
export function untilLabelChanges(ms: number): number {
  const { count, unit } = largest(Math.ceil(ms / 1000));
  // The label drops once the whole seconds left fall below count × unit.
  return Math.max(100, ms - (count * unit.seconds - 1) * 1000);
}
