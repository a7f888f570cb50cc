/**
 * The profile the UI benchmark opens: N direct conversations (every one of them present, so the
 * list really has N rows to scroll) and one conversation holding B messages, the newest activity
 * of the inbox. Fed through the real adapter → Ingestor path exactly as the core benchmark feeds
 * it (test-double accounts, `emitRaw` + `ingest.flush()` in chunks of one Ingestor batch), with
 * the core benchmark's vocabulary, text generator and peers.
 */
import type { AdapterEvent } from '../adapters/contract.ts';
import type { Account } from '../core/api/types.ts';
import type { CoreInternals } from '../core/create-core.ts';
import type { TestNetwork } from '../test/support/test-adapter.ts';
import { buildVocabulary, messageText, peerOf, prng, ZipfSampler, type CorpusMessage } from './corpus.ts';
import { feedEvents } from './ingest.ts';

export interface UiPlan {
  conversations: number;
  /** Messages in conversation 0, the one the open test opens. */
  bigMessages: number;
  /** Messages in each of the other conversations. */
  perConversation: number;
  seed: number;
  startAt: number;
  vocabularySize: number;
}

export function makeUiPlan(conversations: number, bigMessages: number, perConversation = 2, seed = 20240612): UiPlan {
  if (conversations < 2) throw new Error('the UI benchmark needs at least 2 conversations (one to switch away to)');
  const total = bigMessages + (conversations - 1) * perConversation;
  return {
    conversations,
    bigMessages,
    perConversation,
    seed,
    // 1–39 s apart (20 s on average), ending an hour ago: ingest clamps future dates.
    startAt: Date.now() - total * 40_000 - 3_600_000,
    vocabularySize: 40_000,
  };
}

export function uiPlanMessages(plan: UiPlan): number {
  return plan.bigMessages + (plan.conversations - 1) * plan.perConversation;
}

/**
 * The message stream in time order. Each round visits every other conversation once in a
 * shuffled order; the big conversation's messages are spread evenly over the whole stream and
 * the very last message is its, so it tops the inbox.
 */
export function* uiCorpus(plan: UiPlan, vocabulary: readonly string[] = buildVocabulary(plan.vocabularySize)): Generator<CorpusMessage> {
  const rnd = prng(plan.seed);
  const zipf = new ZipfSampler(vocabulary.length);
  const others = plan.conversations - 1;
  const total = uiPlanMessages(plan);
  const order = Array.from({ length: others }, (_, i) => i + 1);
  let round = 0;
  let pos = others; // forces a shuffle before the first "other" message
  let bigLeft = plan.bigMessages;
  let sentAt = plan.startAt;
  for (let index = 0; index < total; index++) {
    sentAt += 1_000 + Math.floor(rnd() * 39_000);
    const left = total - index;
    let conversation: number;
    // The last message is the big conversation's; before it, big messages come with the odds
    // of the remaining share, which spends exactly `bigMessages` of them.
    const big = bigLeft > 0 && (left === 1 || bigLeft >= left || rnd() < (bigLeft - 1) / (left - 1));
    if (big) {
      conversation = 0;
      bigLeft--;
    } else {
      if (pos === others) {
        for (let i = others - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        pos = 0;
        round++;
      }
      conversation = order[pos++]!;
    }
    yield { index, conversation, self: rnd() < 0.35, sentAt, text: messageText(rnd, zipf, vocabulary, index) };
  }
  if (round > plan.perConversation) throw new Error('uiCorpus: more rounds than planned');
}

/** The same event shape bench/ingest.ts pushes: conversation k lives on account k mod accounts. */
function toEvent(m: CorpusMessage, accounts: readonly Account[]): AdapterEvent {
  const account = accounts[m.conversation % accounts.length]!;
  const peer = peerOf(m.conversation, account.protocol === 'xmpp' ? 'xmpp' : 'email');
  return {
    type: 'message',
    accountId: account.id,
    remoteId: `ui-bench-${m.index}`,
    conversation: { kind: 'direct', peer },
    sender: m.self ? 'self' : peer,
    text: m.text,
    sentAt: m.sentAt,
  };
}

export interface UiProfileFigures {
  messagesFed: number;
  messagesStored: number;
  conversationsStored: number;
  seconds: number;
  /** Conversation 0's id, and the message count core stores for it. */
  bigConversationId: string;
  bigConversationStored: number;
}

/** Pushes the whole stream through the accounts' test adapters into the Ingestor. */
export async function feedUiProfile(
  core: CoreInternals,
  net: TestNetwork,
  accounts: readonly Account[],
  plan: UiPlan,
  onProgress?: (done: number, seconds: number) => void,
): Promise<UiProfileFigures> {
  const vocabulary = buildVocabulary(plan.vocabularySize);
  function* events(): Generator<AdapterEvent> {
    for (const m of uiCorpus(plan, vocabulary)) yield toEvent(m, accounts);
  }
  const { fed, seconds } = await feedEvents(core, net, events(), onProgress);
  const db = core.ctx.db;
  const big = db
    .prepare('SELECT conversation_id AS id, count(*) AS n FROM messages GROUP BY conversation_id ORDER BY n DESC LIMIT 1')
    .get() as { id: string; n: number };
  return {
    messagesFed: fed,
    messagesStored: db.prepare('SELECT count(*) FROM messages').pluck().get() as number,
    conversationsStored: db.prepare('SELECT count(*) FROM conversations').pluck().get() as number,
    seconds,
    bigConversationId: big.id,
    bigConversationStored: big.n,
  };
}
