/** The conversation's disappearing-messages timer: the header's menu to set it, and the chip that shows it. */
import type { ConversationSummary } from '../../../core/api/types.ts';
import { TIMER_CHOICES, timerLabel } from '../format/disappearing.ts';
import { TimerIcon } from './icons.tsx';
import { MenuButton } from './MenuButton.tsx';

interface DisappearingMenuProps {
  conversation: ConversationSummary;
  onChoose: (seconds: number) => void;
}

/** The menu of timers (Off, 5 minutes … 4 weeks), the current one checked. */
export function DisappearingMenu({ conversation: c, onChoose }: DisappearingMenuProps) {
  const current = c.disappearingSeconds;
  const choices = TIMER_CHOICES.some((t) => t.seconds === current)
    ? TIMER_CHOICES
    : // A timer the peer chose that is not among ours stays visible as the current one.
      [...TIMER_CHOICES, { seconds: current, label: timerLabel(current) }];
  return (
    <MenuButton
      label="Disappearing messages"
      heading="Disappearing messages"
      pressed={current > 0}
      items={choices.map((t) => ({
        label: t.label,
        checked: t.seconds === current,
        onSelect: () => {
          if (t.seconds !== current) onChoose(t.seconds);
        },
      }))}
    >
      <TimerIcon />
    </MenuButton>
  );
}

/** A small stopwatch and the timer, under the title, while messages disappear. */
export function DisappearingChip({ seconds }: { seconds: number }) {
  if (seconds <= 0) return null;
  return (
    <span className="disappearing-chip" title={`New messages disappear ${timerLabel(seconds)} after they are read or sent.`}>
      <TimerIcon />
      <span className="sr-only">Disappearing messages: </span>
      {timerLabel(seconds)}
    </span>
  );
}
