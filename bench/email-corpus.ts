/**
 * A realistic small mailbox for the email benchmark: mails of about 1–3 KB from a few hundred
 * senders, mostly text/plain, some multipart/alternative, a fifth of them replies (In-Reply-To,
 * References, quoted text), some with a second recipient (a group thread for the adapter), dated
 * over the last `days` days, oldest first (so UIDs follow dates, as in a real mailbox).
 * Deterministic: the same seed gives the same mailbox.
 */

/** One generated mail: its bytes and what the benchmark needs to know about it. */
export interface BenchMail {
  /** Without angle brackets. */
  messageId: string;
  date: Date;
  /** Older mail is usually read already (Maildir cur/ with the S flag). */
  seen: boolean;
  raw: string;
}

export interface CorpusOptions {
  messages: number;
  /** The mailbox owner's address (To:). */
  to: string;
  /** Default 300. */
  senders?: number;
  /** Dates spread over this many days before `now`; default 60. */
  days?: number;
  now?: number;
  seed?: number;
}

/** mulberry32: small, fast, good enough for fixtures. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Linus', 'Sophie', 'Tim', 'Hedy', 'John', 'Karen', 'Niklaus', 'Shafi', 'Leslie'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Torvalds', 'Wilson', 'Berners-Lee', 'Lamarr', 'Backus', 'Jones', 'Wirth', 'Goldwasser', 'Lamport'];
const DOMAINS = ['example.org', 'example.com', 'example.net', 'mail.example.org', 'uni.example.edu'];
const TOPICS = ['lunch on Friday', 'the quarterly report', 'holiday plans', 'the server migration', 'book club', 'invoice 2024-113', 'flat viewing', 'the new release', 'conference travel', 'garden allotment', 'band rehearsal', 'the draft contract'];
const WORDS = (
  'the of and to in is that it for on was with as be at by this had not are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'
).split(' ');

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function sentence(r: () => number): string {
  const n = 6 + Math.floor(r() * 12);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(pick(r, WORDS));
  const s = w.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** Plain text of roughly `bytes` bytes, in paragraphs of wrapped lines. */
function prose(r: () => number, bytes: number): string {
  const paras: string[] = [];
  let size = 0;
  while (size < bytes) {
    const lines: string[] = [];
    let line = '';
    const sentences = 2 + Math.floor(r() * 4);
    for (let i = 0; i < sentences; i++) {
      for (const word of sentence(r).split(' ')) {
        if (line.length + word.length + 1 > 72) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
    }
    if (line) lines.push(line);
    const p = lines.join('\r\n');
    paras.push(p);
    size += p.length + 4;
  }
  return paras.join('\r\n\r\n');
}

function html(text: string): string {
  const esc = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<html><body>${esc
    .split('\r\n\r\n')
    .map((p) => `<p>${p.replaceAll('\r\n', ' ')}</p>`)
    .join('\r\n')}</body></html>`;
}

interface Sent {
  messageId: string;
  subject: string;
  references: string[];
  from: string;
  text: string;
}

/** Generates the mailbox, oldest first. */
export function generateMailbox(opts: CorpusOptions): BenchMail[] {
  const r = rng(opts.seed ?? 20_240_601);
  const now = opts.now ?? Date.now();
  const days = opts.days ?? 60;
  const senders = Array.from({ length: opts.senders ?? 300 }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const domain = DOMAINS[i % DOMAINS.length]!;
    return { name: `${first} ${last}`, address: `${first}.${last}${i}@${domain}`.toLowerCase() };
  });
  // Sorted random instants in [now - days, now - 1 min]: the mailbox fills up over time.
  const span = days * 86_400_000 - 60_000;
  const times = Array.from({ length: opts.messages }, () => now - 60_000 - Math.floor(r() * span)).sort((a, b) => a - b);
  const recent: Sent[] = [];
  const out: BenchMail[] = [];
  for (let i = 0; i < opts.messages; i++) {
    const date = new Date(times[i]!);
    const sender = pick(r, senders);
    const parent = recent.length > 0 && r() < 0.2 ? pick(r, recent) : null;
    const subject = parent ? (parent.subject.startsWith('Re: ') ? parent.subject : `Re: ${parent.subject}`) : `${pick(r, ['About', 'Re:', 'Question on', 'Update:', 'Fwd:', 'Notes from'])} ${pick(r, TOPICS)}`;
    const messageId = `${date.getTime().toString(36)}.${i}.${Math.floor(r() * 1e9).toString(36)}@${sender.address.split('@')[1]}`;
    const references = parent ? [...parent.references.slice(-8), parent.messageId] : [];
    const cc = r() < 0.1 ? pick(r, senders) : null;
    let text = prose(r, 500 + Math.floor(r() * 1300));
    if (parent) {
      const quoted = parent.text
        .split('\r\n')
        .slice(0, 8)
        .map((l) => `> ${l}`)
        .join('\r\n');
      text = `${text}\r\n\r\nOn ${date.toUTCString()}, ${parent.from} wrote:\r\n${quoted}`;
    }
    text = `${text}\r\n\r\n-- \r\n${sender.name}`;
    const alternative = r() < 0.3;
    const head = [
      `Return-Path: <${sender.address}>`,
      `Received: from mx.${sender.address.split('@')[1]} (mx.${sender.address.split('@')[1]} [192.0.2.${1 + (i % 250)}])\r\n\tby mail.switchboard.test with ESMTPS id ${messageId.slice(0, 12)}\r\n\tfor <${opts.to}>; ${date.toUTCString()}`,
      `From: ${sender.name} <${sender.address}>`,
      `To: ${opts.to}`,
      ...(cc ? [`Cc: ${cc.name} <${cc.address}>`] : []),
      `Subject: ${subject}`,
      `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${messageId}>`,
      ...(parent ? [`In-Reply-To: <${parent.messageId}>`, `References: ${references.map((x) => `<${x}>`).join('\r\n ')}`] : []),
      'MIME-Version: 1.0',
      `User-Agent: ${pick(r, ['Thunderbird 128.3', 'Mutt 2.2', 'K-9 Mail 6.8', 'Apple Mail (2.3774)'])}`,
    ];
    let body: string;
    if (alternative) {
      const boundary = `b${i.toString(36)}x${Math.floor(r() * 1e9).toString(36)}`;
      head.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
      body = [
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        text,
        `--${boundary}`,
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        html(text),
        `--${boundary}--`,
        '',
      ].join('\r\n');
    } else {
      head.push('Content-Type: text/plain; charset=utf-8; format=flowed', 'Content-Transfer-Encoding: 8bit');
      body = `${text}\r\n`;
    }
    const raw = `${head.join('\r\n')}\r\n\r\n${body}`;
    const seen = now - date.getTime() > 2 * 86_400_000 ? r() < 0.9 : r() < 0.3;
    out.push({ messageId, date, seen, raw });
    const sent: Sent = { messageId, subject, references, from: `${sender.name} <${sender.address}>`, text };
    recent.push(sent);
    if (recent.length > 200) recent.shift();
  }
  return out;
}
