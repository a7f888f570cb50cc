/**
 * A modal dialog on the native <dialog>: the browser makes the page behind it inert. We add
 * the rest: Escape calls `onClose`, Tab wraps inside, and focus returns where it was.
 */
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { CloseIcon } from './icons.tsx';

interface DialogProps {
  /** The accessible name, e.g. "Security notice". */
  label: string;
  /** Escape, the close button, or a click on the backdrop (when `dismissible`). */
  onClose: () => void;
  children: ReactNode;
  className?: string;
  /** Show an × button and close on a backdrop click. Security questions want an explicit answer. */
  dismissible?: boolean;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  // Popover contents are focusable only while shown; skip them when hidden.
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.checkVisibility());
}

export function Dialog({ label, onClose, children, className, dismissible = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    // React's autoFocus fires before showModal; honour a [data-autofocus] instead.
    (dialog.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(dialog)[0])?.focus();
    return () => {
      dialog.close();
      if (previous?.isConnected) previous.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== 'Tab' || !ref.current) return;
    // React passes events up its own tree: a dialog opened from another one keeps Tab to itself.
    event.stopPropagation();
    const items = focusables(ref.current);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      aria-label={label}
      className={`dialog ${className ?? ''}`}
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        // Keep the element open; React unmounts it through onClose. Escape closes only this
        // dialog, not one it was opened from (React would pass the event up its tree).
        event.preventDefault();
        event.stopPropagation();
        onClose();
      }}
      onClick={(event) => {
        if (dismissible && event.target === event.currentTarget) onClose();
      }}
    >
      <div className="dialog-body">
        {dismissible && (
          <button type="button" className="icon-button dialog-close" aria-label="Close" onClick={onClose}>
            <CloseIcon />
          </button>
        )}
        {children}
      </div>
    </dialog>
  );
}
