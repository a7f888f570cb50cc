/**
 * A button that opens a small menu (the WAI-ARIA menu button pattern): Enter, Space or ArrowDown
 * open it on the first item (the checked one, in a menu of choices), arrows move, Escape closes it
 * and returns focus, a click outside closes it.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { CheckIcon } from './icons.tsx';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  /** Set on every item of a menu of choices (menuitemradio): whether this one is the current choice. */
  checked?: boolean | undefined;
}

interface MenuButtonProps {
  /** The button's accessible name (and tooltip). */
  label: string;
  items: MenuItem[];
  /** Shows the button as on (a setting the menu controls is active). */
  pressed?: boolean | undefined;
  /** A heading inside the menu, above the items. */
  heading?: string | undefined;
  children: ReactNode;
}

const ITEM_SELECTOR = '[role="menuitem"], [role="menuitemradio"]';

export function MenuButton({ label, items, pressed = false, heading, children }: MenuButtonProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  const menuItems = () => Array.from(rootRef.current?.querySelectorAll<HTMLElement>(ITEM_SELECTOR) ?? []);

  useEffect(() => {
    if (!open) return;
    const all = menuItems();
    (all.find((el) => el.getAttribute('aria-checked') === 'true') ?? all[0])?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };

  const onMenuKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const all = menuItems();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const moves: Record<string, number | undefined> = {
      ArrowDown: (at + 1) % all.length,
      ArrowUp: (at - 1 + all.length) % all.length,
      Home: 0,
      End: all.length - 1,
    };
    const next = moves[event.key];
    if (next !== undefined) {
      event.preventDefault();
      all[next]?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <div className="menu-anchor" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className={`icon-button${open || pressed ? ' icon-button-on' : ''}`}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && !open) {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        {children}
      </button>
      {open && (
        <div className="menu" role="menu" id={`${id}-menu`} aria-label={label} onKeyDown={onMenuKeyDown}>
          {heading && (
            <div className="menu-heading" aria-hidden="true">
              {heading}
            </div>
          )}
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role={item.checked === undefined ? 'menuitem' : 'menuitemradio'}
              aria-checked={item.checked}
              tabIndex={-1}
              className={`menu-item${item.checked === undefined ? '' : ' menu-item-choice'}`}
              onClick={() => {
                // Focus goes back to the button first, so a dialog the item opens returns it there.
                close();
                item.onSelect();
              }}
            >
              {item.checked !== undefined && <span className="menu-check">{item.checked && <CheckIcon />}</span>}
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
