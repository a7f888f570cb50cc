/** The left column: app bar, search, folder toggle, and the conversation list or search hits. */
import type { RefObject } from 'react';
import { ConversationList } from '../components/ConversationList.tsx';
import { FOLDER_PANEL_ID, FolderToggle } from '../components/FolderToggle.tsx';
import { GearIcon } from '../components/icons.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { SearchResults } from '../components/SearchResults.tsx';
import type { Folder } from '../state/conversationOrder.ts';
import type { ConversationList as ConversationListState } from '../state/useConversationList.ts';
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
}

function ListEmpty({ folder, hasAccounts }: { folder: Folder; hasAccounts: boolean }) {
  if (folder === 'archived') return <p className="list-note">Nothing archived.</p>;
  return <p className="list-note">{hasAccounts ? 'No conversations yet.' : 'Add an account to see your conversations here.'}</p>;
}

export function Sidebar(props: SidebarProps) {
  const { folder, list, openId, onOpen, query } = props;
  const search = useSearch(query);
  const searching = search.kind !== 'idle';
  return (
    <nav className="sidebar" aria-label="Conversations and search">
      <div className="sidebar-top">
        <span className="brand">Switchboard</span>
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
      {searching ? (
        <SearchResults query={query} state={search} onOpen={onOpen} selectedId={openId} />
      ) : (
        <>
          <FolderToggle folder={folder} onChange={props.onFolderChange} />
          <div className="folder-panel" id={FOLDER_PANEL_ID} role="tabpanel" aria-label={folder === 'inbox' ? 'Inbox' : 'Archived'}>
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
    </nav>
  );
}
