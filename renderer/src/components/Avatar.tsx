/** Initials on a colour that stays the same for the same conversation. */
import { initials, paletteSlot } from '../format/initials.ts';

const PALETTE_SIZE = 8;

export function Avatar({ id, title, size = 'normal' }: { id: string; title: string; size?: 'small' | 'normal' | 'large' }) {
  return (
    <span className={`avatar avatar-${size} avatar-c${paletteSlot(id, PALETTE_SIZE)}`} aria-hidden="true">
      {initials(title)}
    </span>
  );
}
