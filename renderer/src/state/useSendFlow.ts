/**
 * Sending, with its two questions, both asked before the message is stored or sent: the
 * first-use notice on a protocol's first message, and the choice before leaving a safer route
 * (`needs-decision`). The clientId stays the same across the answers, so core never sends twice.
 */
import { useState } from 'react';
import type { Message, Protocol, Rating, Route } from '../../../core/api/types.ts';
import { newClientId } from '../format/clientId.ts';
import { describeError } from '../format/errors.ts';
import { useBridge } from './bridgeContext.ts';
import { useNotify } from './notify.tsx';

export interface FirstUseNotice {
  protocol: Protocol;
  rating: Rating;
  answer: (choice: 'ok' | 'silence') => void;
}

export interface DecisionQuestion {
  question: string;
  available: Route | null;
  best: Route;
  answer: (decision: 'send-anyway' | 'wait' | 'cancel') => void;
}

export interface SendFlow {
  /** Resolves true once core queued the message, false if it failed or the user cancelled. */
  send: (text: string) => Promise<boolean>;
  decision: DecisionQuestion | null;
  firstUse: FirstUseNotice | null;
  acknowledgeFirstUse: () => void;
  silenceSecurityDialogs: () => void;
}

export function useSendFlow(conversationId: string, onQueued: (message: Message) => void): SendFlow {
  const bridge = useBridge();
  const notify = useNotify();
  const [decision, setDecision] = useState<DecisionQuestion | null>(null);
  const [firstUse, setFirstUse] = useState<FirstUseNotice | null>(null);

  const attempt = async (text: string, clientId: string, answer?: 'send-anyway' | 'wait'): Promise<boolean> => {
    let result;
    try {
      result = await bridge.call('messages.send', {
        conversationId,
        text,
        clientId,
        ...(answer ? { decision: answer } : {}),
      });
    } catch (error) {
      notify(`Couldn't send: ${describeError(error)}`);
      return false;
    }
    if (result.kind === 'queued') {
      onQueued(result.message);
      if (result.routeNote) notify(result.routeNote);
      return true;
    }
    if (result.kind === 'first-use') {
      const { protocol, rating } = result;
      const choice = await new Promise<'ok' | 'silence'>((resolve) => setFirstUse({ protocol, rating, answer: resolve }));
      setFirstUse(null);
      try {
        if (choice === 'ok') await bridge.call('security.firstUseSeen', { protocol });
        else await bridge.call('settings.set', { securityDialogs: false });
      } catch (error) {
        notify(`Couldn't save that: ${describeError(error)}`);
        return false;
      }
      return attempt(text, clientId, answer);
    }
    const { question, available, best } = result;
    const choice = await new Promise<'send-anyway' | 'wait' | 'cancel'>((resolve) => {
      setDecision({ question, available, best, answer: resolve });
    });
    setDecision(null);
    if (choice === 'cancel') return false;
    return attempt(text, clientId, choice);
  };

  return {
    send: (text) => attempt(text, newClientId()),
    decision,
    firstUse,
    acknowledgeFirstUse: () => firstUse?.answer('ok'),
    silenceSecurityDialogs: () => firstUse?.answer('silence'),
  };
}
