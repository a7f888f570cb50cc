/**
 * The left column: app bar (new chat menu, settings), search, held invite accepts, folder tabs,
 * and the conversation list or search hits.
 */
import { useState, type RefObject } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { ConversationList } from '../components/ConversationList.tsx';
import { FOLDER_LABEL, FOLDER_PANEL_ID, FolderToggle } from '../components/FolderToggle.tsx';
import { GearIcon, PlusIcon } from '../components/icons.tsx';
import { useInviteDialogs } from '../components/InviteDialogs.tsx';
import { MenuButton } from '../components/MenuButton.tsx';
import { NewAddressChatDialog } from '../components/NewAddressChatDialog.tsx';
import { JoinGroupDialog } from '../components/JoinGroupDialog.tsx';
import { SyncStatus } from '../components/SyncStatus.tsx';
import { NewGroupDialog } from '../components/NewGroupDialog.tsx';
import { QuarantineBanner, QuarantineDialog } from '../components/QuarantineReview.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { SearchResults } from '../components/SearchResults.tsx';
import type { Folder } from '../state/conversationOrder.ts';
import type { ConversationList as ConversationListState } from '../state/useConversationList.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useQuarantine } from '../state/useQuarantine.ts';
import type { RequestCount } from '../state/useRequestCount.ts';
import { useSearch } from '../state/useSearch.ts';

interface SidebarProps {
  folder: Folder;
  onFolderChange: (folder: Folder) => void;
  list: ConversationListState;
  openId: string | null;
  onOpen: (id: string, focusMessageId?: string) => void;
  query: string;
  onQueryChange: (query: string) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  settingsOpen: boolean;
  onSettings: () => void;
  hasAccounts: boolean;
  requests: RequestCount;
  /** An invite was accepted: open the conversation with the inviter. */
  onInviteAccepted: (conversation: ConversationSummary) => void;
  /** A group was made or an email chat started: open its conversation. */
  onConversationStarted: (conversation: ConversationSummary) => void;
}

function ListEmpty({ folder, hasAccounts }: { folder: Folder; hasAccounts: boolean }) {
  if (folder === 'archived') return <p className="list-note">Nothing archived.</p>;
  if (folder === 'requests') return <p className="list-note">No message requests. When someone you haven't accepted writes to you, it shows here.</p>;
  return <p className="list-note">{hasAccounts ? 'No conversations yet.' : 'Add an account to see your conversations here.'}</p>;
}

export function Sidebar(props: SidebarProps) {
  const { folder, list, openId, onOpen, query } = props;
  const search = useSearch(query);
  const searching = search.kind !== 'idle';
  const invites = useInviteDialogs(props.onInviteAccepted);
  const quarantine = useQuarantine();
  const [reviewing, setReviewing] = useState(false);
  const [newGroup, setNewGroup] = useState(false);
  const [newByAddress, setNewByAddress] = useState<'email' | 'xmpp' | 'matrix' | null>(null);
  const [joinGroup, setJoinGroup] = useState(false);
  const { accounts } = useAccounts();
  // XMPP and Matrix entries show once there is such an account: a menu of networks the user does not use helps nobody.
  const hasXmpp = (accounts ?? []).some((a) => a.protocol === 'xmpp');
  const hasMatrix = (accounts ?? []).some((a) => a.protocol === 'matrix');
  return (
    <nav className="sidebar" aria-label="Conversations and search">
      <div className="sidebar-top">
        <span className="brand">Switchboard</span>
        <MenuButton
          label="New chat"
          items={[
            { label: 'New invite', onSelect: invites.openNew },
            { label: 'Accept invite', onSelect: invites.openAccept },
            { label: 'New email', onSelect: () => setNewByAddress('email') },
            ...(hasXmpp ? [{ label: 'New XMPP chat', onSelect: () => setNewByAddress('xmpp') }] : []),
            ...(hasMatrix ? [{ label: 'New Matrix chat', onSelect: () => setNewByAddress('matrix') }] : []),
            { label: 'New group', onSelect: () => setNewGroup(true) },
            ...(hasXmpp || hasMatrix ? [{ label: 'Join group chat', onSelect: () => setJoinGroup(true) }] : []),
          ]}
        >
          <PlusIcon />
        </MenuButton>
        <button
          type="button"
          className={`icon-button${props.settingsOpen ? ' icon-button-on' : ''}`}
          aria-label="Settings"
          title="Settings"
          aria-pressed={props.settingsOpen}
          onClick={props.onSettings}
        >
          <GearIcon />
        </button>
      </div>
      <SearchBox value={query} onChange={props.onQueryChange} inputRef={props.searchRef} />
      <SyncStatus />
      <QuarantineBanner count={quarantine.entries.length} onReview={() => setReviewing(true)} />
      {searching ? (
        <SearchResults query={query} state={search} onOpen={onOpen} selectedId={openId} />
      ) : (
        <>
          <FolderToggle folder={folder} onChange={props.onFolderChange} requests={props.requests} />
          <div className="folder-panel" id={FOLDER_PANEL_ID} role="tabpanel" aria-label={FOLDER_LABEL[folder]}>
            {!list.loaded ? (
              <p className="list-note" role="status">
                Loading conversations…
              </p>
            ) : list.items.length === 0 ? (
              <ListEmpty folder={folder} hasAccounts={props.hasAccounts} />
            ) : (
              <ConversationList items={list.items} hasMore={list.hasMore} loadMore={list.loadMore} selectedId={openId} onOpen={onOpen} />
            )}
          </div>
        </>
      )}
      {invites.dialogs}
      {reviewing && <QuarantineDialog quarantine={quarantine} onClose={() => setReviewing(false)} />}
      {newByAddress && (
        <NewAddressChatDialog
          key={newByAddress}
          protocol={newByAddress}
          onClose={() => setNewByAddress(null)}
          onStarted={(conversation) => {
            setNewByAddress(null);
            props.onConversationStarted(conversation);
          }}
        />
      )}
      {joinGroup && (
        <JoinGroupDialog
          onClose={() => setJoinGroup(false)}
          onJoined={(conversation) => {
            setJoinGroup(false);
            props.onConversationStarted(conversation);
          }}
        />
      )}
      {newGroup && (
        <NewGroupDialog
          onClose={() => setNewGroup(false)}
          onCreated={(conversation) => {
            setNewGroup(false);
            props.onConversationStarted(conversation);
          }}
        />
      )}
    </nav>
  );
}
