/**
 * Structured header values (Content-Type) → value and parameters, the way the MIME scanner needs
 * them: RFC 822 comments, quoted strings, first occurrence wins, RFC 2231 continuations. Works on
 * Latin-1 text so that a boundary's bytes round-trip exactly.
 */

/** A parsed structured header: the lowercased value and its parameters (names lowercased). */
export interface StructuredValue {
  value: string;
  params: Record<string, string>;
}

/**
 * Remove RFC 822 comments outside quoted strings. Inside an unquoted parameter value a '(' that
 * does not follow whitespace is content (`name=Invoice(1).pdf`), as postal-mime reads it too.
 */
function stripComments(input: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  let inValue = false;
  for (let i = 0; i < input.length; i++) {
    const c = input.charAt(i);
    if (depth === 0 && c === '\\' && quoted) {
      out += c + input.charAt(i + 1);
      i++;
      continue;
    }
    if (depth === 0 && c === '"') {
      quoted = !quoted;
      out += c;
      continue;
    }
    if (!quoted) {
      if (c === '(' && (depth > 0 || !inValue || out === '' || /[ \t]$/.test(out.slice(-1)))) {
        depth++;
        continue;
      }
      if (c === ')' && depth > 0) {
        depth--;
        continue;
      }
      if (depth === 0 && c === '=') inValue = true;
      if (depth === 0 && c === ';') inValue = false;
    }
    if (depth === 0) out += c;
  }
  // An unclosed '(' is not a comment if parameters follow it; dropping them would lose the boundary.
  return depth > 0 && input.indexOf(';', input.lastIndexOf('(')) >= 0 ? input : out;
}

/** Split on ';' outside quoted strings. */
function splitParams(input: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input.charAt(i);
    if (quoted && c === '\\') {
      cur += c + input.charAt(i + 1);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** A parameter value: a quoted string (with its escapes resolved) or a token; junk after a closing quote is ignored. */
function unquote(raw: string): string {
  const v = raw.trim();
  if (!v.startsWith('"')) return v;
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v.charAt(i);
    if (c === '\\') {
      out += v.charAt(i + 1);
      i++;
    } else if (c === '"') {
      return out;
    } else {
      out += c;
    }
  }
  return out;
}

/** Percent-decoding of an RFC 2231 extended value, bytes kept as Latin-1 code units. */
function percentDecode(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Parse `type/subtype; a=b; c="d"` (comments, quotes, continuations `name*0`, `name*0*`, `name*`). */
export function parseStructured(header: string): StructuredValue {
  // Most values have no comments, quotes or continuations; they need no character-by-character pass.
  if (!/[("\\*]/.test(header)) {
    const [head = '', ...rest] = header.split(';');
    const params: Record<string, string> = {};
    for (const piece of rest) {
      const eq = piece.indexOf('=');
      const key = piece.slice(0, eq).trim().toLowerCase();
      if (eq > 0 && key && !Object.prototype.hasOwnProperty.call(params, key)) params[key] = piece.slice(eq + 1).trim();
    }
    return { value: head.trim().toLowerCase(), params };
  }
  const [head = '', ...rest] = splitParams(stripComments(header));
  const params: Record<string, string> = {};
  const sections = new Map<string, { nr: number; value: string; encoded: boolean }[]>();
  for (const piece of rest) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    if (!key) continue;
    const value = unquote(piece.slice(eq + 1));
    const m = /^(.*?)\*(?:(\d+)(\*)?)?$/.exec(key);
    if (m) {
      const name = m[1] ?? '';
      const nr = Number(m[2] ?? '0');
      const encoded = m[2] === undefined || m[3] === '*';
      const list = sections.get(name) ?? [];
      if (!list.some((s) => s.nr === nr)) list.push({ nr, value, encoded });
      sections.set(name, list);
    } else if (!Object.prototype.hasOwnProperty.call(params, key)) {
      params[key] = value;
    }
  }
  // RFC 2231 §3-4: sections are joined in order; an encoded first section starts with charset'language'.
  for (const [name, list] of sections) {
    list.sort((a, b) => a.nr - b.nr);
    params[name] = list
      .map((s, i) => {
        if (!s.encoded) return s.value;
        const v = i === 0 ? s.value.replace(/^[^']*'[^']*'/, '') : s.value;
        return percentDecode(v);
      })
      .join('');
  }
  return { value: head.trim().toLowerCase(), params };
}
