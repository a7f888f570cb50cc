/** Turns an email benchmark result into the printed block (figure, baseline, ratio, target). */
import { EMAIL_TARGET_RATIO, type AdapterPhases, type AdapterRound, type EmailBenchResult } from './email.ts';
import { median, type Summary } from './stats.ts';

/** Medians over the rounds of the figures the report shows. */
export function emailMedians(r: EmailBenchResult): {
  adapter: number;
  adapterFull: number;
  fullMs: number;
  headersBatched: number;
  headersAll: number;
  headersSource: number;
  ms: number;
  firstEventMs: number;
  phases: AdapterPhases;
} {
  const m = (f: (x: AdapterRound) => number) => median(r.adapter.map(f));
  return {
    adapter: m((x) => x.perSecond),
    adapterFull: m((x) => x.fullPerSecond),
    fullMs: m((x) => x.fullMs),
    headersBatched: median(r.raw.headersBatched),
    headersAll: median(r.raw.headersAll),
    headersSource: median(r.raw.headersSourceBatched),
    ms: m((x) => x.ms),
    firstEventMs: m((x) => x.firstEventMs),
    phases: {
      login: m((x) => x.phases.login),
      search: m((x) => x.phases.search),
      headerFetch: m((x) => x.phases.headerFetch),
      sourceFetch: m((x) => x.phases.sourceFetch),
      rest: m((x) => x.phases.rest),
    },
  };
}

const f = (x: number): string => Math.round(x).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const rounds = (xs: readonly number[]): string => xs.map(f).join(' / ');
const lat = (s: Summary): string => `p50 ${ms(s.p50)} ms, p95 ${ms(s.p95)} ms, max ${ms(s.max)} ms`;

export function formatEmailReport(r: EmailBenchResult): string {
  const m = emailMedians(r);
  const ratio = m.adapter / m.headersBatched;
  const ratioSource = m.adapterFull / m.headersSource;
  const p = m.phases;
  const share = (x: number) => `${(x / 1000).toFixed(2)} s (${pct(x / m.fullMs)})`;
  const b = r.mailbox;
  return [
    `email: initial sync of ${r.messages.toLocaleString('en-US')} messages from a local Dovecot (loopback, plain TCP); medians of ${r.rounds} alternating raw/adapter rounds`,
    `  mailbox: ${(b.bytes / r.messages / 1024).toFixed(1)} KB average, ${pct(b.multipart / r.messages)} multipart/alternative, ${pct(b.replies / r.messages)} replies, ${pct(b.seen / r.messages)} seen; filled at ${f(b.fillPerSecond)} msg/s; cold first fetch (headers + source, untimed warm-up) ${f(r.coldPerSecond)} msg/s`,
    `  adapter: connect → every message listed      ${f(m.adapter)} msg/s  (${(m.ms / 1000).toFixed(2)} s; the newest ${r.batch} whole, older ones from headers; first event after ${ms(m.firstEventMs)} ms; rounds ${rounds(r.adapter.map((x) => x.perSecond))})`,
    `  adapter: connect → every body filled in      ${f(m.adapterFull)} msg/s  (${(m.fullMs / 1000).toFixed(2)} s; rounds ${rounds(r.adapter.map((x) => x.fullPerSecond))})`,
    `  raw imapflow UID FETCH headers, ${r.batch}/batch     ${f(m.headersBatched)} msg/s  (rounds ${rounds(r.raw.headersBatched)})`,
    `  raw imapflow FETCH headers, one 1:*          ${f(m.headersAll)} msg/s  (rounds ${rounds(r.raw.headersAll)})`,
    `  raw imapflow UID FETCH headers + source      ${f(m.headersSource)} msg/s  (rounds ${rounds(r.raw.headersSourceBatched)})`,
    `  ratio listed / raw headers (the target's)    ${pct(ratio)}   (target ≥ ${pct(EMAIL_TARGET_RATIO)}) ${ratio >= EMAIL_TARGET_RATIO ? 'OK' : 'MISSED'}`,
    `  ratio bodies in / raw headers + source       ${pct(ratioSource)}   (same bytes on the wire, every body parsed; ≥ ${pct(EMAIL_TARGET_RATIO)} ${ratioSource >= EMAIL_TARGET_RATIO ? 'OK' : 'MISSED'})`,
    `  adapter time: login ${share(p.login)}, search ${share(p.search)}, header fetch ${share(p.headerFetch)}, source fetch ${share(p.sourceFetch)}, the rest (LIST/SELECT, parse, threading, state, events) ${share(p.rest)}`,
    `  IDLE delivery, hand-over → adapter's message event (n=${r.idle.maildir.n} each; baseline: a raw imapflow IDLE client's EXISTS for the same mail)`,
    `    Maildir file written by deliverRaw         ${lat(r.idle.maildir)}  (raw EXISTS ${lat(r.idle.maildirExists)})`,
    `    SMTP submission to Postfix (→ LMTP)        ${lat(r.idle.smtp)}  (raw EXISTS ${lat(r.idle.smtpExists)}; Postfix accepted after p50 ${ms(r.idle.smtpAccepted.p50)} ms)`,
    `  whole email run ${r.seconds.toFixed(1)} s`,
  ].join('\n');
}
