/**
 * HTML body → plain text for mail without a text/plain part. A tokenizer (htmlparser2) only: no
 * DOM, no script, no fetch. Blockquotes become "> " lines so `chatText` can strip quoted history
 * from HTML-only replies too.
 */
import { Parser } from 'htmlparser2';

/** Elements whose content is never text for the reader. */
const SKIP = new Set(['script', 'style', 'head', 'title', 'template', 'noembed', 'object', 'svg', 'math']);
/** Elements that start and end a line. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'center', 'dd', 'details', 'dialog', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'header', 'li', 'main', 'nav', 'ol', 'section', 'summary', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul',
]);
/** Blocks with a blank line around them. */
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'hr']);

const prefix = (depth: number): string => (depth > 0 ? `${'>'.repeat(depth)} ` : '');

/** Plain text from an HTML body: blocks become line breaks, script/style/head dropped, entities decoded, whitespace collapsed. */
export function htmlToText(html: string): string {
  const lines: string[] = [];
  let line = '';
  let lineDepth = 0;
  let space = false;
  let skip = 0;
  let pre = 0;
  let quote = 0;
  const lists: { ordered: boolean; n: number }[] = [];
  const links: (string | null)[] = [];

  const write = (s: string): void => {
    if (!s) return;
    if (line === '') lineDepth = quote;
    else if (space) line += ' ';
    space = false;
    line += s;
  };
  const breakLine = (): void => {
    if (line !== '') lines.push(`${prefix(lineDepth)}${line}`.trimEnd());
    line = '';
    space = false;
  };
  const blankLine = (): void => {
    breakLine();
    if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (SKIP.has(name)) skip++;
        if (skip > 0) return;
        if (name === 'br') breakLine();
        else if (PARAGRAPH.has(name)) blankLine();
        else if (BLOCK.has(name)) breakLine();
        if (name === 'pre') pre++;
        if (name === 'blockquote') quote++;
        if (name === 'hr') {
          write('———');
          blankLine();
        }
        if (name === 'ul' || name === 'ol') lists.push({ ordered: name === 'ol', n: 0 });
        if (name === 'li') {
          const list = lists[lists.length - 1];
          if (list) list.n++;
          write(list?.ordered ? `${list.n}.` : '•');
          space = true;
        }
        if (name === 'td' || name === 'th') space = true;
        if (name === 'img' && attrs.alt?.trim()) write(attrs.alt.trim());
        if (name === 'a') links.push(/^(https?:|mailto:)/i.test(attrs.href ?? '') ? (attrs.href ?? null) : null);
      },
      ontext(text) {
        if (skip > 0) return;
        if (pre > 0) {
          // Preformatted text keeps its line breaks, blank lines included.
          text.replace(/\r\n?/g, '\n').split('\n').forEach((part, i) => {
            if (i > 0) {
              lines.push(`${prefix(lineDepth)}${line}`.trimEnd());
              line = '';
            }
            if (line === '') lineDepth = quote;
            line += part;
          });
          space = false;
          return;
        }
        // NBSP is spacing the sender wanted, but in a chat bubble it is just a space.
        text.replace(/\u00a0/g, ' ').split(/[ \t\n\r\f]+/).forEach((word, i) => {
          if (i > 0) space = true;
          write(word);
        });
      },
      onclosetag(name) {
        if (SKIP.has(name)) {
          skip = Math.max(0, skip - 1);
          return;
        }
        if (skip > 0) return;
        if (name === 'a') {
          const href = links.pop();
          // Keep the address of a link whose text hides it: in a chat bubble there is nothing to hover.
          const target = href?.replace(/^mailto:/i, '');
          if (href && target && !line.includes(target)) {
            space = true;
            write(`<${target}>`);
          }
        }
        if (name === 'pre') pre = Math.max(0, pre - 1);
        if (name === 'blockquote') {
          blankLine();
          quote = Math.max(0, quote - 1);
        } else if (PARAGRAPH.has(name)) blankLine();
        else if (BLOCK.has(name)) breakLine();
        if (name === 'ul' || name === 'ol') lists.pop();
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  breakLine();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  while (lines.length > 0 && lines[0] === '') lines.shift();
  return lines.join('\n');
}
