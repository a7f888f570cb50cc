/** The New invite and Accept invite dialogs, for whichever place offers them (sidebar menu, settings). */
import { useState, type ReactNode } from 'react';
import type { ConversationSummary } from '../../../core/api/types.ts';
import { AcceptInviteDialog } from './AcceptInviteDialog.tsx';
import { NewInviteDialog } from './NewInviteDialog.tsx';

export interface InviteDialogs {
  openNew: () => void;
  openAccept: () => void;
  /** Render this where the dialogs belong. */
  dialogs: ReactNode;
}

export function useInviteDialogs(onAccepted: (conversation: ConversationSummary) => void): InviteDialogs {
  const [open, setOpen] = useState<'new' | 'accept' | null>(null);
  const close = () => setOpen(null);
  let dialogs: ReactNode = null;
  if (open === 'new') dialogs = <NewInviteDialog onClose={close} />;
  else if (open === 'accept') {
    dialogs = (
      <AcceptInviteDialog
        onClose={close}
        onAccepted={(conversation) => {
          close();
          onAccepted(conversation);
        }}
      />
    );
  }
  return { openNew: () => setOpen('new'), openAccept: () => setOpen('accept'), dialogs };
}
