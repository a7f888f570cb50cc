/** Asked before a message leaves a safer route: send now on the weaker one, or wait. */
import type { Route } from '../../../core/api/types.ts';
import { identityLabel, PROTOCOL_LABEL } from '../format/labels.ts';
import { Dialog } from './Dialog.tsx';
import { LockGlyph } from './icons.tsx';
import { PadlockBadge } from './Padlock.tsx';
import { ProtocolBadge } from './ProtocolBadge.tsx';

interface LeavingEncryptionDialogProps {
  question: string;
  available: Route | null;
  best: Route;
  onSendAnyway: () => void;
  onWait: () => void;
  /** Escape: neither; the text goes back into the composer. */
  onCancel: () => void;
}

function RouteLine({ route, note }: { route: Route; note: string }) {
  return (
    <li className="route-line">
      <PadlockBadge rating={route.rating} size="normal" />
      <ProtocolBadge protocol={route.identity.protocol} />
      <span className="route-line-address">{identityLabel(route.identity)}</span>
      <span className="route-line-note">{note}</span>
    </li>
  );
}

export function LeavingEncryptionDialog({ question, available, best, onSendAnyway, onWait, onCancel }: LeavingEncryptionDialogProps) {
  // Only a step down to a route a server can read leaves encryption; other steps are "less secure".
  const leaves = available !== null && available.rating.colour === 'red' && best.rating.colour !== 'red';
  const title = leaves ? 'Leaving encryption' : 'A less secure route';
  return (
    <Dialog label={title} onClose={onCancel} className="security-dialog">
      <div className={`dialog-icon padlock-${available?.rating.colour ?? 'red'}`}>
        <LockGlyph colour={available?.rating.colour ?? 'red'} />
      </div>
      <h2 className="dialog-title">{title}</h2>
      <p className="dialog-text">{question}</p>
      <ul className="route-lines">
        <RouteLine route={best} note={best.available ? 'Best route' : 'Best route, not reachable now'} />
        {available && <RouteLine route={available} note="Available now" />}
      </ul>
      <div className="dialog-actions">
        {available && (
          <button type="button" className="button button-danger" onClick={onSendAnyway}>
            Send now by {PROTOCOL_LABEL[available.identity.protocol]} ({available.rating.colour})
          </button>
        )}
        <button type="button" className="button button-primary" data-autofocus onClick={onWait}>
          Wait for {PROTOCOL_LABEL[best.identity.protocol]}
        </button>
      </div>
    </Dialog>
  );
}
