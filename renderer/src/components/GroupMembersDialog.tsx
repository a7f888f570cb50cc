/**
 * "Group members": who is in a group chat (the admin marked, the user as "You"). The group's
 * admin can add people and remove members (after confirming); in a room joined by address (XMPP)
 * the user can change their nickname and leave. The list follows changes made elsewhere while it
 * is open.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ConversationSummary, GroupMember } from '../../../core/api/types.ts';
import { describeError } from '../format/errors.ts';
import { useContactList } from '../state/useContactList.ts';
import { useBridge } from '../state/bridgeContext.ts';
import { useGroupMembers, type GroupMembersState } from '../state/useGroupMembers.ts';
import { Avatar } from './Avatar.tsx';
import { ContactChecklist } from './ContactChecklist.tsx';
import { Dialog } from './Dialog.tsx';

type View = { kind: 'list' } | { kind: 'add' } | { kind: 'remove'; member: GroupMember & { contactId: string } } | { kind: 'leave' };

interface GroupMembersDialogProps {
  conversation: ConversationSummary;
  /** The group is a room the user can leave and rename themselves in (`groups.leave`, `groups.setNickname`). */
  roomActions: boolean;
  onClose: () => void;
}

export function GroupMembersDialog({ conversation, roomActions, onClose }: GroupMembersDialogProps) {
  const bridge = useBridge();
  const group = useGroupMembers(conversation.id);
  const [view, setView] = useState<View>({ kind: 'list' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  // Which control to focus once the list shows again (the one that led away, or Add people).
  const returnTo = useRef<string | null>(null);

  const { members } = group;
  const self = members?.find((m) => m.isSelf);
  const isAdmin = !!self?.isAdmin && !conversation.left;
  const others = (members ?? []).filter((m) => !m.isSelf);

  // A view's first control takes focus when it opens; back on the list, the control that led away.
  useEffect(() => {
    const root = bodyRef.current;
    if (!root) return;
    const back = (key: string | null) => (key ? root.querySelector<HTMLElement>(`[data-return="${CSS.escape(key)}"]`) : null);
    // A member just removed has no button left: Add people, else Done, takes focus instead.
    const target = view.kind === 'list' ? (back(returnTo.current) ?? back('add') ?? back('done')) : root.querySelector<HTMLElement>('[data-view-focus]');
    target?.focus();
  }, [view]);

  const show = (next: View, from?: string) => {
    if (from) returnTo.current = from;
    setError(null);
    setView(next);
  };

  /** Sets the members besides the user; back to the list when it worked. */
  const change = (contactIds: string[], what: string) => {
    setBusy(true);
    setError(null);
    group.setMembers(contactIds).then(
      () => {
        setBusy(false);
        setView({ kind: 'list' });
      },
      (e: unknown) => {
        setBusy(false);
        setError(`Couldn't ${what}: ${describeError(e)}`);
      },
    );
  };

  const leave = () => {
    setBusy(true);
    setError(null);
    bridge.call('groups.leave', { conversationId: conversation.id }).then(
      () => {
        setBusy(false);
        onClose();
      },
      (e: unknown) => {
        setBusy(false);
        setError(`Couldn't leave: ${describeError(e)}`);
      },
    );
  };

  const kept = (without?: string): string[] =>
    others.flatMap((m) => (m.contactId !== null && m.contactId !== without ? [m.contactId] : []));

  return (
    <Dialog label="Group members" onClose={onClose} className="group-dialog" dismissible>
      <div ref={bodyRef}>
        <h2 className="dialog-title">Group members</h2>
        {group.failure && !members && (
          <p className="dialog-text" role="alert">
            Couldn't load the members: {group.failure}
          </p>
        )}
        {!members && !group.failure && (
          <p className="dialog-text" role="status">
            Loading members…
          </p>
        )}
        {members && view.kind === 'list' && (
          <MemberList
            title={conversation.title}
            members={members}
            left={conversation.left}
            canEdit={isAdmin}
            busy={busy}
            onAdd={() => show({ kind: 'add' }, 'add')}
            onRemove={(member) => show({ kind: 'remove', member }, `remove-${member.contactId}`)}
          />
        )}
        {members && view.kind === 'add' && (
          <AddPeople
            accountId={conversation.accountId}
            members={group}
            busy={busy}
            onAdd={(contactIds) => change([...kept(), ...contactIds], 'add them')}
            onBack={() => show({ kind: 'list' })}
          />
        )}
        {members && view.kind === 'list' && roomActions && !conversation.left && self && (
          <RoomSelf nickname={self.displayName} busy={busy} onNickname={group.setNickname} onLeave={() => show({ kind: 'leave' }, 'leave')} />
        )}
        {view.kind === 'leave' && (
          <section aria-label={`Leave ${conversation.title}`}>
            <p className="dialog-text">
              Leave <strong>{conversation.title}</strong>? You get no new messages from it and are not in it on your other devices either. What you
              have stays here, readable.
            </p>
            <div className="dialog-actions">
              <button type="button" className="button" data-view-focus onClick={() => show({ kind: 'list' })}>
                Cancel
              </button>
              <button type="button" className="button button-danger" disabled={busy} onClick={leave}>
                {busy ? 'Leaving…' : 'Leave'}
              </button>
            </div>
          </section>
        )}
        {view.kind === 'remove' && (
          <section aria-label={`Remove ${view.member.displayName}`}>
            <p className="dialog-text">
              Remove <strong>{view.member.displayName}</strong> from {conversation.title}? They will get no new messages from the group. What
              they already have stays with them.
            </p>
            <div className="dialog-actions">
              <button type="button" className="button" data-view-focus onClick={() => show({ kind: 'list' })}>
                Cancel
              </button>
              <button type="button" className="button button-danger" disabled={busy} onClick={() => change(kept(view.member.contactId), 'remove them')}>
                {busy ? 'Removing…' : 'Remove'}
              </button>
            </div>
          </section>
        )}
        {error && (
          <p className="form-error form-error-block" role="alert">
            {error}
          </p>
        )}
        {view.kind === 'list' && (
          <div className="dialog-actions">
            <button type="button" className="button button-primary" data-return="done" onClick={onClose}>
              Done
            </button>
          </div>
        )}
      </div>
    </Dialog>
  );
}

interface MemberListProps {
  /** The group's name. */
  title: string;
  members: GroupMember[];
  left: boolean;
  canEdit: boolean;
  busy: boolean;
  onAdd: () => void;
  onRemove: (member: GroupMember & { contactId: string }) => void;
}

function MemberList({ title, members, left, canEdit, busy, onAdd, onRemove }: MemberListProps) {
  const count = members.length;
  return (
    <>
      <div className="group-members-head">
        <p className="dialog-summary">
          {left ? (
            <>You are no longer in {title}. These were its members when you left.</>
          ) : (
            <>
              <strong className="group-members-title">{title}</strong> · {count} {count === 1 ? 'member' : 'members'}
            </>
          )}
        </p>
        {canEdit && (
          <button type="button" className="button button-small" data-return="add" disabled={busy} onClick={onAdd}>
            Add people
          </button>
        )}
      </div>
      <ul className="group-members" aria-label="Members">
        {members.map((m, i) => {
          const name = m.isSelf ? 'You' : m.displayName;
          const removable = canEdit && !m.isSelf && m.contactId !== null;
          return (
            <li key={m.contactId ?? `${i}-${m.displayName}`} className="group-member">
              <Avatar id={m.contactId ?? m.displayName} title={m.displayName} size="small" />
              <span className="group-member-name">{name}</span>
              {m.isAdmin && <span className="group-member-tag">Admin</span>}
              {removable && (
                <button
                  type="button"
                  className="button button-small button-quiet"
                  aria-label={`Remove ${m.displayName}`}
                  data-return={`remove-${m.contactId}`}
                  disabled={busy}
                  onClick={() => onRemove({ ...m, contactId: m.contactId! })}
                >
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

interface AddPeopleProps {
  accountId: string | null;
  members: GroupMembersState;
  busy: boolean;
  onAdd: (contactIds: string[]) => void;
  onBack: () => void;
}

function AddPeople({ accountId, members, busy, onAdd, onBack }: AddPeopleProps) {
  const { contacts, failure } = useContactList(accountId);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const sectionRef = useRef<HTMLElement>(null);
  const loaded = contacts !== null || failure !== null;
  // Focus waits on Back while the contacts load, then moves to the list.
  useEffect(() => {
    if (loaded) sectionRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, [loaded]);
  const inGroup = new Set((members.members ?? []).flatMap((m) => (m.contactId ? [m.contactId] : [])));
  const candidates = (contacts ?? []).filter((c) => !inGroup.has(c.id));

  const toggle = (contactId: string, on: boolean) =>
    setChosen((set) => {
      const next = new Set(set);
      if (on) next.add(contactId);
      else next.delete(contactId);
      return next;
    });

  return (
    <section aria-label="Add people" ref={sectionRef}>
      {failure ? (
        <p className="form-error form-error-block" role="alert">
          Couldn't load your contacts: {failure}
        </p>
      ) : contacts === null ? (
        <p className="dialog-text" role="status">
          Loading contacts…
        </p>
      ) : candidates.length === 0 ? (
        <p className="dialog-text">Everyone you could add is in this group already.</p>
      ) : (
        <ContactChecklist legend="Add to the group" contacts={candidates} chosen={chosen} onToggle={toggle} autoFocus />
      )}
      <div className="dialog-actions">
        <button type="button" className="button" data-view-focus onClick={onBack}>
          Back
        </button>
        <button type="button" className="button button-primary" disabled={busy || chosen.size === 0} onClick={() => onAdd([...chosen])}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
    </section>
  );
}

interface RoomSelfProps {
  nickname: string;
  busy: boolean;
  onNickname: (nickname: string) => Promise<void>;
  onLeave: () => void;
}

/** The user's own place in a room: their nickname, and leaving. */
function RoomSelf({ nickname, busy, onNickname, onLeave }: RoomSelfProps) {
  const id = useId();
  const [draft, setDraft] = useState(nickname);
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const changed = draft.trim() !== '' && draft.trim() !== nickname;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!changed || saving) return;
    setSaving(true);
    setProblem(null);
    onNickname(draft.trim()).then(
      () => setSaving(false),
      (e: unknown) => {
        setSaving(false);
        setProblem(`Couldn't change your nickname: ${describeError(e)}`);
      },
    );
  };

  return (
    <section className="room-self" aria-label="You in this group">
      <form className="room-nickname" onSubmit={submit}>
        <label htmlFor={`${id}-nick`}>Your nickname</label>
        <input id={`${id}-nick`} type="text" maxLength={100} autoComplete="off" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" className="button button-small" disabled={!changed || saving}>
          {saving ? 'Changing…' : 'Change'}
        </button>
      </form>
      {problem && (
        <p className="form-error form-error-block" role="alert">
          {problem}
        </p>
      )}
      <button type="button" className="button button-small button-danger" data-return="leave" disabled={busy} onClick={onLeave}>
        Leave group chat
      </button>
    </section>
  );
}
