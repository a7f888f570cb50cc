/** One open conversation: header, pinned strip, message log, composer and their dialogs. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ConversationSummary, Message } from '../../../core/api/types.ts';
import { Composer } from '../components/Composer.tsx';
import { ContactCard } from '../components/ContactCard.tsx';
import { ConversationHeader, type ConversationPatch } from '../components/ConversationHeader.tsx';
import { FirstUseDialog } from '../components/FirstUseDialog.tsx';
import { FullMessageDialog } from '../components/FullMessageDialog.tsx';
import { GroupMembersDialog } from '../components/GroupMembersDialog.tsx';
import { LeavingEncryptionDialog } from '../components/LeavingEncryptionDialog.tsx';
import { LeftGroupBar } from '../components/LeftGroupBar.tsx';
import { MessageList } from '../components/MessageList.tsx';
import { PinnedStrip } from '../components/PinnedStrip.tsx';
import { RequestBar } from '../components/RequestBar.tsx';
import { UpgradeBanner } from '../components/UpgradeBanner.tsx';
import { timerLabel } from '../format/disappearing.ts';
import { describeError } from '../format/errors.ts';
import { useAccounts } from '../state/accounts.tsx';
import { useBridge } from '../state/bridgeContext.ts';
import { loadDraft, saveDraft } from '../state/drafts.ts';
import { useTypingNotice } from '../state/useTypingNotice.ts';
import { typingText, useTypingIndicator } from '../state/useTypingIndicator.ts';
import { useFocusMessage, type FocusRequest } from '../state/useFocusMessage.ts';
import { useNotify } from '../state/notify.tsx';
import { useConversation } from '../state/useConversation.ts';
import { MessageContentContext, type MessageContentActions } from '../state/messageContent.ts';
import { useMessages } from '../state/useMessages.ts';
import { useSaveAttachment } from '../state/saveAttachment.ts';
import { usePinnedMessages } from '../state/usePinnedMessages.ts';
import { useSendFlow } from '../state/useSendFlow.ts';
import { useWindowFocus } from '../state/useWindowFocus.ts';

interface ConversationViewProps {
  conversationId: string;
  /** The list's copy, to show at once while the fresh one loads. */
  initial: ConversationSummary | undefined;
  /** A message to bring into view (a search hit), if any. */
  focus?: FocusRequest | null;
  /** A message request was accepted here (it moved to the inbox). */
  onRequestAccepted: (conversation: ConversationSummary) => void;
  /** The conversation was deleted here: close it. */
  onClose: () => void;
}

/** Mount with `key={conversationId}`: every piece of state here belongs to one conversation. */
export function ConversationView({ conversationId, initial, focus = null, onRequestAccepted, onClose }: ConversationViewProps) {
  const bridge = useBridge();
  const notify = useNotify();
  const state = useConversation(conversationId, initial);
  const messages = useMessages(conversationId);
  const focusedMessage = useFocusMessage(messages, focus);
  const pinned = usePinnedMessages(conversationId);
  const flow = useSendFlow(conversationId, messages.upsert);
  const [contactOpen, setContactOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const [fullMessage, setFullMessage] = useState<Message | null>(null);
  const saveAttachment = useSaveAttachment();
  const contentActions = useMemo<MessageContentActions>(() => ({ openOriginal: setFullMessage, saveAttachment }), [saveAttachment]);
  const { accounts } = useAccounts();
  const [text, setText] = useState(() => loadDraft(conversationId));
  const focused = useWindowFocus();
  const marking = useRef(false);

  // Drafts survive switching conversations.
  useEffect(() => saveDraft(conversationId, text), [conversationId, text]);
  useTypingNotice(conversationId, text);
  const typing = typingText(useTypingIndicator(conversationId));

  const unread = state.kind === 'ready' ? state.conversation.unreadCount : 0;
  // Read means seen: only while the window is focused and visible, and messages are shown.
  useEffect(() => {
    if (unread === 0 || !focused || !messages.loaded || marking.current) return;
    marking.current = true;
    bridge.call('conversations.markRead', { conversationId }).then(
      () => {
        marking.current = false;
      },
      () => {
        // Not worth a notice: the next focus or message tries again.
        marking.current = false;
      },
    );
  }, [unread, focused, messages.loaded, bridge, conversationId]);

  const onPin = useCallback(
    (message: Message, pin: boolean) => {
      bridge.call('messages.pin', { messageId: message.id, pinned: pin }).then(messages.upsert, (error: unknown) =>
        notify(`Couldn't ${pin ? 'pin' : 'unpin'} the message: ${describeError(error)}`),
      );
    },
    [bridge, notify, messages.upsert],
  );

  const onRetry = useCallback(
    (message: Message) => {
      bridge.call('messages.retry', { messageId: message.id }).then(messages.upsert, (error: unknown) =>
        notify(`Couldn't retry: ${describeError(error)}`),
      );
    },
    [bridge, notify, messages.upsert],
  );

  const upsertMessage = messages.upsert;
  const onSendNow = useCallback(
    (message: Message) => {
      bridge
        .call('messages.send', { conversationId, text: message.text, clientId: message.id, decision: 'send-anyway' })
        .then(
          (r) => {
            if (r.kind === 'queued') upsertMessage(r.message);
          },
          (error: unknown) => notify(`Couldn't send: ${describeError(error)}`),
        );
    },
    [bridge, conversationId, notify, upsertMessage],
  );

  const onCancel = useCallback(
    (message: Message) => {
      bridge.call('messages.cancel', { messageId: message.id }).then(messages.upsert, (error: unknown) =>
        notify(`Couldn't cancel: ${describeError(error)}`),
      );
    },
    [bridge, notify, messages.upsert],
  );

  if (state.kind === 'loading') return <main className="conversation conversation-loading" aria-busy="true" />;
  if (state.kind === 'gone') {
    return (
      <main className="conversation placeholder">
        <p>This conversation no longer exists.</p>
      </main>
    );
  }
  const { conversation } = state;
  const { contactId } = conversation;
  // Members can be listed where the group's account can manage groups.
  const groupAccount = conversation.kind === 'group' ? accounts?.find((a) => a.id === conversation.accountId) : undefined;
  const showsMembers = !!groupAccount?.canCreateGroups;

  const onUpdate = (patch: ConversationPatch) => {
    bridge.call('conversations.update', { conversationId, ...patch }).catch((error: unknown) => {
      const what =
        patch.disappearingSeconds === undefined
          ? 'update the conversation'
          : patch.disappearingSeconds === 0
            ? 'turn off disappearing messages'
            : `set disappearing messages to ${timerLabel(patch.disappearingSeconds)}`;
      notify(`Couldn't ${what}: ${describeError(error)}`);
    });
  };

  return (
    <main className="conversation" aria-label={conversation.title}>
      <ConversationHeader
        conversation={conversation}
        onUpdate={onUpdate}
        onContactDetails={contactId ? () => setContactOpen(true) : null}
        onGroupMembers={showsMembers ? () => setMembersOpen(true) : null}
      />
      <PinnedStrip pinned={pinned} onUnpin={(m) => onPin(m, false)} />
      <MessageContentContext value={contentActions}>
        <MessageList
          window={messages}
          focused={focusedMessage}
          isGroup={conversation.kind === 'group'}
          multiProtocol={conversation.protocols.length > 1}
          onPin={onPin}
          onRetry={onRetry}
          onSendNow={onSendNow}
          onCancel={onCancel}
          onChanged={messages.upsert}
        />
      </MessageContentContext>
      {fullMessage && <FullMessageDialog message={fullMessage} onClose={() => setFullMessage(null)} />}
      {conversation.request && <RequestBar conversation={conversation} onAccepted={onRequestAccepted} onDeleted={onClose} />}
      {conversation.left && <LeftGroupBar />}
      {!conversation.request && <UpgradeBanner conversation={conversation} />}
      <p className="typing-line" aria-live="polite">
        {typing}
      </p>
      <Composer
        rating={conversation.rating}
        placeholder={`Message ${conversation.title}`}
        onSend={flow.send}
        draft={text}
        onDraftChange={setText}
        disabledReason={conversation.request ? 'Accept the request to reply' : conversation.left ? 'You are no longer in this group' : null}
      />
      {contactOpen && contactId && <ContactCard contactId={contactId} onClose={() => setContactOpen(false)} />}
      {membersOpen && showsMembers && <GroupMembersDialog conversation={conversation} roomActions={!!groupAccount?.canJoinGroups} onClose={() => setMembersOpen(false)} />}
      {flow.decision && (
        <LeavingEncryptionDialog
          question={flow.decision.question}
          available={flow.decision.available}
          best={flow.decision.best}
          onSendAnyway={() => flow.decision?.answer('send-anyway')}
          onWait={() => flow.decision?.answer('wait')}
          onCancel={() => flow.decision?.answer('cancel')}
        />
      )}
      {flow.firstUse && !flow.decision && (
        <FirstUseDialog
          protocol={flow.firstUse.protocol}
          rating={flow.firstUse.rating}
          onAcknowledge={flow.acknowledgeFirstUse}
          onSilence={flow.silenceSecurityDialogs}
        />
      )}
    </main>
  );
}
