/** Title, protocols, the padlock of the next route, and the conversation's actions. */
import type { ReactNode } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { Avatar } from './Avatar.tsx';
import { DisappearingChip, DisappearingMenu } from './DisappearingControls.tsx';
import { ArchiveIcon, BellIcon, MuteIcon, PeopleIcon, PersonIcon, PinIcon } from './icons.tsx';
import { PadlockButton } from './Padlock.tsx';
import { ProtocolBadges } from './ProtocolBadge.tsx';
import { PRESENCE_LABEL } from '../format/labels.ts';

/** What the header changes about a conversation (`conversations.update`). */
export interface ConversationPatch {
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
  disappearingSeconds?: number;
}

interface ConversationHeaderProps {
  conversation: ConversationSummary;
  onUpdate: (patch: ConversationPatch) => void;
  onContactDetails: (() => void) | null;
  /** Opens the members of a group chat; null where they cannot be shown (a 1:1 chat, a network without group actions). */
  onGroupMembers: (() => void) | null;
}

function HeaderButton({ label, pressed, onClick, children }: { label: string; pressed?: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className={`icon-button${pressed ? ' icon-button-on' : ''}`} aria-label={label} title={label} onClick={onClick}>
      {children}
    </button>
  );
}

export function ConversationHeader({ conversation: c, onUpdate, onContactDetails, onGroupMembers }: ConversationHeaderProps) {
  return (
    <header className="conversation-header">
      <Avatar id={c.id} title={c.title} />
      <div className="conversation-heading">
        <h1 className="conversation-title">{c.title}</h1>
        <div className="conversation-sub">
          <ProtocolBadges protocols={c.protocols} />
          {c.kind === 'group' && <span className="conversation-kind">{c.left ? 'Group · you left' : 'Group'}</span>}
          {c.presence && (
            <span className={`presence presence-${c.presence}`} title="Whether they have an XMPP client connected now">
              {PRESENCE_LABEL[c.presence]}
            </span>
          )}
          <DisappearingChip seconds={c.disappearingSeconds} />
        </div>
      </div>
      <div className="header-padlock">
        <PadlockButton rating={c.rating} />
      </div>
      <div className="header-actions">
        {!c.left && <DisappearingMenu conversation={c} onChoose={(seconds) => onUpdate({ disappearingSeconds: seconds })} />}
        <HeaderButton label={c.pinned ? 'Unpin' : 'Pin'} pressed={c.pinned} onClick={() => onUpdate({ pinned: !c.pinned })}>
          <PinIcon />
        </HeaderButton>
        <HeaderButton label={c.muted ? 'Unmute' : 'Mute'} pressed={c.muted} onClick={() => onUpdate({ muted: !c.muted })}>
          {c.muted ? <MuteIcon /> : <BellIcon />}
        </HeaderButton>
        <HeaderButton label={c.archived ? 'Unarchive' : 'Archive'} pressed={c.archived} onClick={() => onUpdate({ archived: !c.archived })}>
          <ArchiveIcon />
        </HeaderButton>
        {onContactDetails && (
          <HeaderButton label="Contact details" onClick={onContactDetails}>
            <PersonIcon />
          </HeaderButton>
        )}
        {onGroupMembers && (
          <HeaderButton label="Group members" onClick={onGroupMembers}>
            <PeopleIcon />
          </HeaderButton>
        )}
      </div>
    </header>
  );
}
