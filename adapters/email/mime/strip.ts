/**
 * Mail text → chat text: what the sender wrote this time, without the history their client
 * appended. Only the trailing parts are cut (the final quote block with its attribution, an
 * Outlook "original message" block, the signature); quotes between the sender's own lines stay.
 */

const isBlank = (line: string): boolean => line.trim() === '';
const isQuote = (line: string): boolean => line.startsWith('>');

/** Where the text ends once trailing blank lines are dropped. */
function trimBlank(lines: readonly string[], end: number): number {
  while (end > 0 && isBlank(lines[end - 1] ?? '')) end--;
  return end;
}

const OPENERS = /^(on|am|le|el|il|op|em|den|på|w dniu|dne)\s/i;
const VERBS = /(wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|escreveu|skrev|napisał|napsal)/i;
const ORIGINAL_MESSAGE = /^-{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht)\s*-{2,}$/i;

/**
 * An attribution line ("On … wrote:", "Am … schrieb …:", "Le … a écrit :", or "x@y wrote:").
 * A bare "Bob wrote:" is not enough: the sender's own "look what Bob wrote:" must survive.
 */
function isAttribution(line: string): boolean {
  const s = line.trim();
  if (ORIGINAL_MESSAGE.test(s)) return true;
  if (!s.endsWith(':')) return false;
  const verb = VERBS.exec(s);
  if (!verb) return false;
  return OPENERS.test(s) || /[\d@]/.test(s);
}

/**
 * Cut a trailing block of '>' lines and the attribution above it. Mail clients wrap a long
 * attribution over up to three lines, so a fragment of it ("ann@x.com> wrote:") also matches; a
 * candidate that starts like an attribution ("On …") wins over such a fragment.
 */
function cutTrailingQuote(lines: readonly string[], end: number): number {
  if (end === 0 || !isQuote(lines[end - 1] ?? '')) return end;
  let start = end;
  while (start > 0 && (isQuote(lines[start - 1] ?? '') || isBlank(lines[start - 1] ?? ''))) start--;
  const above = trimBlank(lines, start);
  let fragment = -1;
  for (let k = 1; k <= 3 && above - k >= 0 && !isBlank(lines[above - k] ?? ''); k++) {
    const candidate = lines.slice(above - k, above).map((l) => l.trim()).join(' ');
    if (!isAttribution(candidate)) continue;
    if (OPENERS.test(candidate) || ORIGINAL_MESSAGE.test(candidate)) return trimBlank(lines, above - k);
    if (fragment < 0) fragment = above - k;
  }
  return trimBlank(lines, fragment >= 0 ? fragment : above);
}

const OUTLOOK_FROM = /^\*?(from|von|de|van|da|från|fra|od)\*?\s*:\s*\S/i;
const OUTLOOK_SENT = /^\*?(sent|date|gesendet|datum|envoyé|verzonden|inviato|skickat|sendt|enviado|wysłano)\*?\s*:/i;

/** Cut from Outlook's "-----Original Message-----" or its "From: … Sent: …" header block to the end (the history is not '>'-quoted there). */
function cutOutlook(lines: readonly string[], end: number): number {
  for (let i = 0; i < end; i++) {
    const line = lines[i] ?? '';
    const fromBlock = OUTLOOK_FROM.test(line) && lines.slice(i + 1, Math.min(end, i + 6)).some((l) => OUTLOOK_SENT.test(l));
    if (!ORIGINAL_MESSAGE.test(line.trim()) && !fromBlock) continue;
    let cut = trimBlank(lines, i);
    // Outlook on the web draws a rule of underscores above the block.
    if (cut > 0 && /^(_{5,}|-{5,})$/.test((lines[cut - 1] ?? '').trim())) cut = trimBlank(lines, cut - 1);
    return cut;
  }
  return end;
}

/** Cut the signature: from the last "-- " line (RFC 3676 §4.3), or a bare "--" a few lines from the end; never across quoted lines. */
function cutSignature(lines: readonly string[], end: number): number {
  for (let i = end - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (isQuote(line)) return end;
    if (line === '-- ' || (line.trimEnd() === '--' && end - i <= 8)) return trimBlank(lines, i);
  }
  return end;
}

/** The text to show in a chat bubble; `stripped` says whether anything was cut. Never empty when the input had visible text. */
export function chatText(text: string): { text: string; stripped: boolean } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const full = trimBlank(lines, lines.length);
  let end = cutOutlook(lines, full);
  end = cutSignature(lines, end);
  end = cutTrailingQuote(lines, end);
  // A top-poster's signature sits between the reply and the quote: only reachable now.
  end = cutSignature(lines, end);
  if (end === full) return { text, stripped: false };
  const kept = lines.slice(0, end).join('\n').trimEnd();
  if (!kept.trim()) return { text, stripped: false };
  return { text: kept, stripped: true };
}
