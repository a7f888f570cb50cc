/**
 * A deterministic synthetic message history: N direct conversations, M messages, one large
 * conversation, text drawn from a Zipf-distributed vocabulary so that "the" matches a large share
 * of all messages while tail words match a few dozen. The same plan and seed always give the same
 * stream, so Switchboard and the raw baseline store exactly the same rows.
 */

/** A small fast seeded PRNG (mulberry32): reproducible runs without storing the corpus. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The most frequent English words, roughly in frequency order (ranks 1..). */
const FUNCTION_WORDS = `the of and to a in is you that it he was for on are as with his they i at be this have
from or one had by but not what all were we when your can said there use an each which she do how their if will
up other about out many then them these so some her would make like him into time has look two more go see no way
could people my than first been call who its now find long down day did get come made may part just know think
over new after back also well only our here thing why right still good because any those very even want need let
ok yes yeah sure thanks thank please sorry lol haha me got going really too much should where something off
around tomorrow today tonight later soon again never always maybe already`.split(/\s+/);

/** Everyday content words a chat or mail history is full of (ranks after the function words). */
const CONTENT_WORDS = `meeting dinner lunch coffee train flight ticket hotel weekend birthday party doctor
appointment project report invoice budget deadline draft review release version server update password
account email message phone number address office home school kids dog cat garden holiday summer winter
morning evening night monday tuesday wednesday thursday friday saturday sunday january february march april
june july august september october november december family mother father brother sister friend friends team
manager client customer contract proposal slides agenda notes minutes schedule calendar invite link photo
photos video music concert movie book books game football match score weather rain snow sun beach mountain
city station airport bus car bike traffic parking street road map location restaurant table bill payment
bank transfer money price cost order delivery package shipping store shop market groceries milk bread cheese
wine beer pizza pasta salad soup chicken fish vegetables fruit apple orange banana chocolate cake cookies
recipe kitchen oven fridge laptop computer keyboard screen printer network router wifi internet website
browser bug feature test build deploy branch commit merge issue ticket backlog sprint standup retro demo
conference talk speaker workshop course lesson exam homework grade teacher student university library
museum gallery theatre cinema festival wedding anniversary vacation trip journey passport visa luggage
suitcase camera battery charger cable adapter headphones speaker microphone printer paper pen notebook
folder document spreadsheet presentation chart graph data database backup restore security encryption
keys lock door window light lamp heating water electricity rent landlord neighbour apartment house room
bedroom bathroom garage roof wall floor paint furniture sofa chair desk bed pillow blanket towel shower
medicine pharmacy hospital dentist nurse health fitness gym run running walk yoga swim tennis golf
basketball running shoes jacket coat shirt dress jeans hat gloves scarf umbrella`
  .split(/\s+/)
  .filter((w, i, all) => all.indexOf(w) === i);

const FIRST_NAMES = `Ada Grace Alan Katherine Linus Margaret Claude Hedy Tim Radia Barbara Dennis Ken Frances
Edsger Donald Niklaus John Leslie Shafi Whitfield Martin Adele Jean Sophie Lynn Carol Brian Rob Mary`.split(/\s+/);
const LAST_NAMES = `Lovelace Hopper Turing Johnson Pauling Hamilton Shannon Lamarr Lee Perlman Liskov Ritchie
Thompson Allen Dijkstra Knuth Wirth McCarthy Lamport Goldwasser Diffie Hellman Goldberg Sammet Wilson Conway
Kernighan Pike Shaw Keller`.split(/\s+/);

/** A word that the generator plants in every `SEEDED_EVERY`-th message: a known, exact hit count. */
export const SEEDED_WORD = 'quokka';
export const SEEDED_EVERY = 500;

/** Messages that contain the seeded word among the first `messages` of a stream. */
export function seededCount(messages: number): number {
  return Math.ceil(messages / SEEDED_EVERY);
}

const ONSETS = ['b', 'br', 'c', 'ch', 'd', 'dr', 'f', 'g', 'gr', 'h', 'j', 'k', 'kl', 'l', 'm', 'n', 'p', 'pl', 'qu', 'r', 's', 'sk', 'st', 't', 'tr', 'v', 'w', 'z'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou', 'ei', 'y'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'x', 'm', 'k'];

/** The vocabulary in rank order: real words first, then pronounceable made-up words for the long tail. */
export function buildVocabulary(size: number, seed = 7): string[] {
  const words: string[] = [];
  const seen = new Set<string>();
  const add = (w: string) => {
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  };
  for (const w of FUNCTION_WORDS) add(w);
  for (const w of CONTENT_WORDS) add(w);
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  while (words.length < size) {
    const syllables = 2 + Math.floor(rnd() * 3);
    let w = '';
    for (let s = 0; s < syllables; s++) w += pick(ONSETS) + pick(NUCLEI);
    w += pick(CODAS);
    if (w !== SEEDED_WORD) add(w);
  }
  return words.slice(0, size);
}

/** Samples vocabulary ranks with P(rank r) ∝ 1 / r^s. */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(size: number, s = 1.0) {
    this.cdf = new Float64Array(size);
    let sum = 0;
    for (let r = 1; r <= size; r++) {
      sum += 1 / r ** s;
      this.cdf[r - 1] = sum;
    }
    for (let i = 0; i < size; i++) this.cdf[i] = this.cdf[i]! / sum;
  }

  /** A rank index (0-based) for a uniform number u in [0, 1). */
  sample(u: number): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What to generate. */
export interface CorpusPlan {
  conversations: number;
  messages: number;
  /** Messages that go to conversation 0 (the "open a 100 000-message conversation" case). */
  bigConversationMessages: number;
  seed: number;
  /** sentAt of the first message; later ones follow 1–39 s apart. */
  startAt: number;
  vocabularySize: number;
}

export function makePlan(conversations: number, messages: number, seed = 20240611): CorpusPlan {
  const big = conversations > 1 ? Math.min(100_000, Math.floor(messages / 10)) : messages;
  return {
    conversations,
    messages,
    bigConversationMessages: big,
    seed,
    // Far enough back that the newest message is still in the past (ingest clamps future dates).
    startAt: Date.now() - messages * 40_000 - 3_600_000,
    vocabularySize: 40_000,
  };
}

/** One generated message, protocol-neutral. */
export interface CorpusMessage {
  index: number;
  conversation: number;
  /** Sent by the account's owner (stored as outgoing). */
  self: boolean;
  sentAt: number;
  text: string;
}

/** The peer of a conversation: a stable address and display name. */
export function peerOf(conversation: number, protocol: 'email' | 'xmpp'): { address: string; displayName: string } {
  const first = FIRST_NAMES[conversation % FIRST_NAMES.length]!;
  const last = LAST_NAMES[Math.floor(conversation / FIRST_NAMES.length) % LAST_NAMES.length]!;
  const handle = `${first}.${last}.${conversation}`.toLowerCase();
  return {
    address: protocol === 'email' ? `${handle}@example.com` : `${handle}@jabber.example`,
    displayName: `${first} ${last}`,
  };
}

const EMOJI = ['😄', '👍', '🙏', '🎉', '❤️', ':)', ';-)'];

/** Generates the message stream in order. Deterministic for a plan. */
export function* corpus(plan: CorpusPlan, vocabulary: readonly string[] = buildVocabulary(plan.vocabularySize)): Generator<CorpusMessage> {
  const rnd = prng(plan.seed);
  const zipf = new ZipfSampler(vocabulary.length);
  const bigShare = plan.bigConversationMessages / plan.messages;
  const others = plan.conversations - 1;
  let bigLeft = plan.bigConversationMessages;
  let sentAt = plan.startAt;
  for (let index = 0; index < plan.messages; index++) {
    sentAt += 1_000 + Math.floor(rnd() * 39_000);
    let conversation: number;
    const left = plan.messages - index;
    if (others <= 0 || bigLeft >= left || (bigLeft > 0 && rnd() < bigShare)) {
      conversation = 0;
      bigLeft--;
    } else {
      // Skewed: a few chatty conversations, a long quiet tail (u² puts more mass on low numbers).
      const u = rnd();
      conversation = 1 + Math.min(others - 1, Math.floor(others * u * u));
    }
    yield { index, conversation, self: rnd() < 0.35, sentAt, text: messageText(rnd, zipf, vocabulary, index) };
  }
}

/** Chat-like text: mostly short lines, some paragraphs, a few long mails. */
export function messageText(rnd: () => number, zipf: ZipfSampler, vocabulary: readonly string[], index: number): string {
  const r = rnd();
  const n = r < 0.72 ? 1 + Math.floor(rnd() * 10) : r < 0.97 ? 10 + Math.floor(rnd() * 25) : 35 + Math.floor(rnd() * 100);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(vocabulary[zipf.sample(rnd())]!);
  if (index % SEEDED_EVERY === 0) words.splice(Math.floor(rnd() * (words.length + 1)), 0, SEEDED_WORD);
  let out = '';
  let sentenceStart = true;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    out += sentenceStart ? w[0]!.toUpperCase() + w.slice(1) : w;
    sentenceStart = false;
    if (i === words.length - 1) break;
    const p = rnd();
    if (p < 0.07) {
      out += p < 0.05 ? '. ' : p < 0.06 ? '? ' : '! ';
      sentenceStart = true;
    } else out += p < 0.1 ? ', ' : ' ';
  }
  const end = rnd();
  if (end < 0.04) out += ' ' + EMOJI[Math.floor(rnd() * EMOJI.length)]!;
  else if (end < 0.3) out += '?';
  else if (end < 0.6) out += '.';
  return out;
}
