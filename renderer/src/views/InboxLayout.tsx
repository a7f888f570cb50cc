/** The two-pane app: sidebar and whichever view fills the right. Owns the global shortcuts. */
import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { ConnectionBanner } from '../components/ConnectionBanner.tsx';
import { VerificationDialog } from '../components/VerificationDialog.tsx';
import { useAccounts } from '../state/accounts.tsx';
import { folderOf, type Folder } from '../state/conversationOrder.ts';
import { useConversationList } from '../state/useConversationList.ts';
import type { FocusRequest } from '../state/useFocusMessage.ts';
import { useRequestCount } from '../state/useRequestCount.ts';
import { ConversationView } from './ConversationView.tsx';
import { NoConversationView } from './NoConversationView.tsx';
import { SettingsView } from './SettingsView.tsx';
import { Sidebar } from './Sidebar.tsx';
import { WelcomeView } from './WelcomeView.tsx';

export function InboxLayout() {
  const { accounts } = useAccounts();
  const [folder, setFolder] = useState<Folder>('inbox');
  const [openId, setOpenId] = useState<string | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [query, setQuery] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);
  const list = useConversationList(folder);
  const requests = useRequestCount();

  const [focus, setFocus] = useState<FocusRequest | null>(null);
  // Stable, so opening a conversation does not re-render every row of the list.
  const open = useCallback((id: string, focusMessageId?: string) => {
    setOpenId(id);
    setFocus(focusMessageId ? { messageId: focusMessageId, seq: Date.now() } : null);
    setSettingsOpen(false);
  }, []);
  // A conversation that changed folder (an accepted request or invite): show it where it now lives.
  const openInItsFolder = useCallback(
    (conversation: ConversationSummary) => {
      setFolder(folderOf(conversation));
      open(conversation.id);
    },
    [open],
  );

  // Shortcuts that work from anywhere: Ctrl/Cmd+K search, Alt+Up/Down next conversation.
  const onKeyDown = useEffectEvent((event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
      event.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      if (document.querySelector('dialog[open]')) return;
      event.preventDefault();
      const index = openId === null ? -1 : list.items.findIndex((c) => c.id === openId);
      const next = event.key === 'ArrowDown' ? index + 1 : index === -1 ? 0 : index - 1;
      const target = list.items[Math.max(0, Math.min(list.items.length - 1, next))];
      if (target) open(target.id);
    }
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKeyDown(event);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  const noAccounts = accounts !== null && accounts.length === 0;
  let main;
  if (settingsOpen) main = <SettingsView onClose={() => setSettingsOpen(false)} onInviteAccepted={openInItsFolder} />;
  else if (openId !== null) {
    main = (
      <ConversationView
        key={openId}
        conversationId={openId}
        initial={list.items.find((c) => c.id === openId)}
        focus={focus}
        onRequestAccepted={openInItsFolder}
        onClose={() => setOpenId(null)}
      />
    );
  }
  else if (noAccounts) main = <WelcomeView />;
  else main = <NoConversationView />;

  return (
    <div className="app">
      <ConnectionBanner />
      <div className="panes">
        <Sidebar
          folder={folder}
          onFolderChange={setFolder}
          list={list}
          openId={openId}
          onOpen={open}
          query={query}
          onQueryChange={setQuery}
          searchRef={searchRef}
          settingsOpen={settingsOpen}
          onSettings={() => setSettingsOpen((o) => !o)}
          hasAccounts={!noAccounts}
          requests={requests}
          onInviteAccepted={openInItsFolder}
          onConversationStarted={openInItsFolder}
        />
        {main}
      </div>
      <VerificationDialog />
    </div>
  );
}
