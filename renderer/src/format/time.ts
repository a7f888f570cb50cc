/** Dates as people read them in a chat app, in the user's locale. */

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'short' });
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const longDay = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const longDayYear = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

const DAY_MS = 86_400_000;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole calendar days from `then` to `now` (0 = same day). */
function daysBetween(then: number, now: number): number {
  return Math.round((startOfDay(now) - startOfDay(then)) / DAY_MS);
}

/** "now", "5 min", "14:32", "Yesterday", "Mon", "12 Mar", "12/03/2023". */
export function relativeTime(at: number, now: number): string {
  const diff = now - at;
  if (diff < 60_000 && diff > -60_000) return 'now';
  const days = daysBetween(at, now);
  if (days === 0 && diff > 0 && diff < 3_600_000) return `${Math.floor(diff / 60_000)} min`;
  if (days <= 0) return clock.format(at);
  if (days === 1) return 'Yesterday';
  if (days < 7) return weekday.format(at);
  if (new Date(at).getFullYear() === new Date(now).getFullYear()) return dayMonth.format(at);
  return shortDate.format(at);
}

export function clockTime(at: number): string {
  return clock.format(at);
}

export function fullDateTime(at: number): string {
  return fullDate.format(at);
}

/** The label of a day separator: "Today", "Yesterday", "Monday, 12 March". */
export function dayLabel(at: number, now: number): string {
  const days = daysBetween(at, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (new Date(at).getFullYear() === new Date(now).getFullYear()) return longDay.format(at);
  return longDayYear.format(at);
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}
