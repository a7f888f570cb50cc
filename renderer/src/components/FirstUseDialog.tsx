/** Shown the first time a protocol carries a message: how Switchboard rates it, in plain words. */
import type { Protocol, Rating } from '../../../core/api/types.ts';
import { PROTOCOL_LABEL } from '../format/labels.ts';
import { Dialog } from './Dialog.tsx';
import { LockGlyph } from './icons.tsx';
import { SecurityReasons } from './SecurityReasons.tsx';

interface FirstUseDialogProps {
  protocol: Protocol;
  rating: Rating;
  /** "OK": this protocol's notice has been seen. */
  onAcknowledge: () => void;
  /** "Don't show these security messages again". */
  onSilence: () => void;
}

export function FirstUseDialog({ protocol, rating, onAcknowledge, onSilence }: FirstUseDialogProps) {
  const label = PROTOCOL_LABEL[protocol];
  return (
    // Escape counts as OK: the notice has been read.
    <Dialog label="Security notice" onClose={onAcknowledge} className="security-dialog">
      <div className={`dialog-icon padlock-${rating.colour}`}>
        <LockGlyph colour={rating.colour} />
      </div>
      <h2 className="dialog-title">Security notice</h2>
      <p className="dialog-text">
        You're using {label} for the first time on Switchboard. Switchboard rates {label} at {rating.score}% ({rating.colour}).
      </p>
      <p className="dialog-summary">{rating.summary}</p>
      <SecurityReasons rating={rating} />
      <div className="dialog-actions">
        <button type="button" className="button button-quiet" onClick={onSilence}>
          Don't show these security messages again
        </button>
        <button type="button" className="button button-primary" data-autofocus onClick={onAcknowledge}>
          OK
        </button>
      </div>
    </Dialog>
  );
}
