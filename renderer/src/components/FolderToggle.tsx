/** Inbox / Requests / Archived, as tabs over the conversation list (Left/Right arrows switch). */
import type { KeyboardEvent } from 'react';
import type { Folder } from '../state/conversationOrder.ts';
import type { RequestCount } from '../state/useRequestCount.ts';

export const FOLDER_LABEL: Record<Folder, string> = {
  inbox: 'Inbox',
  requests: 'Requests',
  archived: 'Archived',
};

const FOLDERS: Folder[] = ['inbox', 'requests', 'archived'];

export const FOLDER_PANEL_ID = 'folder-panel';

interface FolderToggleProps {
  folder: Folder;
  onChange: (folder: Folder) => void;
  requests: RequestCount;
}

function CountBadge({ requests }: { requests: RequestCount }) {
  if (requests.count === 0) return null;
  const shown = requests.more || requests.count > 99 ? '99+' : String(requests.count);
  return (
    <span className="tab-count">
      <span aria-hidden="true">{shown}</span>
      <span className="sr-only">, {shown} waiting</span>
    </span>
  );
}

export function FolderToggle({ folder, onChange, requests }: FolderToggleProps) {
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const step = event.key === 'ArrowRight' ? 1 : FOLDERS.length - 1;
    const next = FOLDERS[(FOLDERS.indexOf(folder) + step) % FOLDERS.length] ?? 'inbox';
    onChange(next);
    event.currentTarget.querySelector<HTMLElement>(`[data-folder="${next}"]`)?.focus();
  };
  return (
    <div className="segmented segmented-3" role="tablist" aria-label="Folder" onKeyDown={onKeyDown}>
      {FOLDERS.map((f) => (
        <button
          key={f}
          type="button"
          role="tab"
          data-folder={f}
          className="segmented-item"
          aria-selected={folder === f}
          aria-controls={FOLDER_PANEL_ID}
          tabIndex={folder === f ? 0 : -1}
          onClick={() => onChange(f)}
        >
          {FOLDER_LABEL[f]}
          {f === 'requests' && <CountBadge requests={requests} />}
        </button>
      ))}
    </div>
  );
}
