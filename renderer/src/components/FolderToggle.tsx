/** Inbox / Archived, as two tabs over the conversation list (Left/Right arrows switch). */
import type { KeyboardEvent } from 'react';
import type { Folder } from '../state/conversationOrder.ts';

const FOLDERS: { folder: Folder; label: string }[] = [
  { folder: 'inbox', label: 'Inbox' },
  { folder: 'archived', label: 'Archived' },
];

export const FOLDER_PANEL_ID = 'folder-panel';

export function FolderToggle({ folder, onChange }: { folder: Folder; onChange: (folder: Folder) => void }) {
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const next = folder === 'inbox' ? 'archived' : 'inbox';
    onChange(next);
    event.currentTarget.querySelector<HTMLElement>(`[data-folder="${next}"]`)?.focus();
  };
  return (
    <div className="segmented" role="tablist" aria-label="Folder" onKeyDown={onKeyDown}>
      {FOLDERS.map((f) => (
        <button
          key={f.folder}
          type="button"
          role="tab"
          data-folder={f.folder}
          className="segmented-item"
          aria-selected={folder === f.folder}
          aria-controls={FOLDER_PANEL_ID}
          tabIndex={folder === f.folder ? 0 : -1}
          onClick={() => onChange(f.folder)}
        >
          {f.label}
        </button>
      ))}
    </div>
  );
}
