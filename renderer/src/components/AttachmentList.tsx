/** The files that came with a message: icon, name, size, and Save (one at a time per file). */
import { useState } from 'react';
import type { AttachmentInfo } from '../../../core/api/types.ts';
import { fileSize } from '../format/mail.ts';
import { DownloadIcon, FileIcon } from './mailIcons.tsx';

interface AttachmentListProps {
  attachments: readonly AttachmentInfo[];
  /** Fetches and saves one file; resolves when done (failures are reported by the caller). */
  onSave: (attachment: AttachmentInfo) => Promise<void>;
}

export function AttachmentList({ attachments, onSave }: AttachmentListProps) {
  const [saving, setSaving] = useState<ReadonlySet<string>>(new Set());
  if (attachments.length === 0) return null;

  const save = (a: AttachmentInfo) => {
    setSaving((s) => new Set(s).add(a.id));
    void onSave(a).finally(() =>
      setSaving((s) => {
        const next = new Set(s);
        next.delete(a.id);
        return next;
      }),
    );
  };

  return (
    <ul className="attachments" aria-label={attachments.length === 1 ? 'Attachment' : `${attachments.length} attachments`}>
      {attachments.map((a) => {
        const busy = saving.has(a.id);
        return (
          <li key={a.id} className="attachment">
            <FileIcon className="attachment-icon" />
            <span className="attachment-name" title={a.filename}>
              {a.filename}
            </span>
            <span className="attachment-size">{fileSize(a.size)}</span>
            <button
              type="button"
              className="attachment-save"
              aria-label={`Save ${a.filename}`}
              aria-busy={busy}
              disabled={busy}
              onClick={() => save(a)}
            >
              <DownloadIcon />
              <span aria-hidden="true">{busy ? 'Saving…' : 'Save'}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
