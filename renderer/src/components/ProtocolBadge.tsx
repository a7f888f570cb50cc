/** A small protocol label: Email, XMPP, Matrix, Native. */
import type { Protocol } from '../../../core/api/types.ts';
import { PROTOCOL_BADGE } from '../format/labels.ts';

export function ProtocolBadge({ protocol }: { protocol: Protocol }) {
  return <span className={`badge badge-${protocol}`}>{PROTOCOL_BADGE[protocol]}</span>;
}

export function ProtocolBadges({ protocols }: { protocols: readonly Protocol[] }) {
  return (
    <span className="badges">
      {protocols.map((p) => (
        <ProtocolBadge key={p} protocol={p} />
      ))}
    </span>
  );
}
