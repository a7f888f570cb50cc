/** Inline SVG icons (no external assets). Decorative: the control around them carries the name. */
import type { Colour } from '../../../core/api/types.ts';

export interface IconProps {
  className?: string;
}

/** What every icon's <svg> shares. */
export const base = {
  width: 20,
  height: 20,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
  'aria-hidden': true,
  focusable: false,
} as const;

/**
 * The padlock glyph. Shape differs by colour so it is not colour-only:
 * green a closed lock with a tick, grey a closed lock with a bar, red an open lock with a cross.
 */
export function LockGlyph({ colour, className }: IconProps & { colour: Colour }) {
  const shackle = colour === 'red' ? 'M7 11V7a5 5 0 0 1 9.6-1.9' : 'M7 11V7a5 5 0 0 1 10 0v4';
  return (
    <svg {...base} className={className}>
      <rect x="4" y="11" width="16" height="10" rx="2.2" fill={colour === 'green' ? 'currentColor' : 'none'} />
      <path d={shackle} />
      {colour === 'green' && <path d="m9 16 2 2 4-4" stroke="var(--lock-mark)" />}
      {colour === 'grey' && <path d="M9.5 16h5" />}
      {colour === 'red' && <path d="m10 14 4 4m0-4-4 4" />}
    </svg>
  );
}

export function SearchIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <circle cx="11" cy="11" r="7" />
      <path d="m20 20-3.5-3.5" />
    </svg>
  );
}

export function GearIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <circle cx="12" cy="12" r="3" />
      <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
    </svg>
  );
}

export function PinIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M12 17v5" />
      <path d="M9 10.8V5h6v5.8l2.6 3.2a1 1 0 0 1-.8 1.6H7.2a1 1 0 0 1-.8-1.6z" />
      <path d="M8 5h8" />
    </svg>
  );
}

export function MuteIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M11 5 6 9H3v6h3l5 4z" />
      <path d="m22 9-6 6m0-6 6 6" />
    </svg>
  );
}

export function BellIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.9 1.9 0 0 0 3.4 0" />
    </svg>
  );
}

export function ArchiveIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <rect x="3" y="4" width="18" height="4" rx="1" />
      <path d="M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8" />
      <path d="M10 12h4" />
    </svg>
  );
}

export function PersonIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <circle cx="12" cy="8" r="4" />
      <path d="M4 21a8 8 0 0 1 16 0" />
    </svg>
  );
}

export function PeopleIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20a6.5 6.5 0 0 1 13 0" />
      <path d="M15.5 4.6a3.5 3.5 0 0 1 0 6.8" />
      <path d="M18 14.2a6.5 6.5 0 0 1 3.5 5.8" />
    </svg>
  );
}

export function SendIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M4 12 20 4l-4 16-4-7z" />
      <path d="m12 13 8-9" />
    </svg>
  );
}

export function CloseIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M18 6 6 18M6 6l12 12" />
    </svg>
  );
}

export function ChatIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" />
    </svg>
  );
}

export function PlusIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M12 5v14M5 12h14" />
    </svg>
  );
}

export function ShieldIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6z" />
      <path d="M12 8v5M12 16.5v.01" />
    </svg>
  );
}

/** A stopwatch: disappearing messages. */
export function TimerIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <circle cx="12" cy="13.5" r="7.5" />
      <path d="M12 9.5v4l2.5 2" />
      <path d="M9.5 2.5h5M12 2.5V6" />
    </svg>
  );
}

export function CheckIcon(props: IconProps) {
  return (
    <svg {...base} className={props.className}>
      <path d="m5 12.5 4.5 4.5L19 7.5" />
    </svg>
  );
}
