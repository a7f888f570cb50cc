import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-text.ts';

describe('htmlToText', () => {
  it('drops script, style and head, and decodes entities', () => {
    const html = `<!DOCTYPE html><html><head><title>Secret title</title><style>p { color: red }</style>
      <script>alert("x")</script></head><body><p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#x1F600; &nbsp;caf&#233;</p>
      <script type="text/javascript">document.write('no')</script></body></html>`;
    expect(htmlToText(html)).toBe('Fish & chips <3 été 😀 café');
  });

  it('turns blocks and <br> into line breaks and collapses whitespace', () => {
    const html = '<div>First   line\n   continues</div><div>Second<br>Third</div><p>Para one</p><p>Para   two</p><h1>Title</h1>after';
    expect(htmlToText(html)).toBe('First line continues\nSecond\nThird\n\nPara one\n\nPara two\n\nTitle\n\nafter');
  });

  it('keeps lists, table cells and preformatted text readable', () => {
    const html = '<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol><table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table><pre>  x = 1\n\n  y = 2</pre>';
    expect(htmlToText(html)).toBe('• one\n• two\n1. first\n2. second\na b\nc d\n\n  x = 1\n\n  y = 2');
  });

  it('writes blockquotes as "> " lines so quoted history can be stripped', () => {
    const html = '<div>Sounds good</div><div class="gmail_quote">On Mon, Ann wrote:<blockquote>Dinner?<blockquote>older</blockquote></blockquote></div>';
    expect(htmlToText(html)).toBe('Sounds good\nOn Mon, Ann wrote:\n\n> Dinner?\n\n>> older');
  });

  it('shows where a link goes when its text hides it, and never keeps javascript: links', () => {
    const html = '<p><a href="https://example.com/reset">Reset your password</a> or <a href="https://example.com">https://example.com</a> or <a href="javascript:alert(1)">this</a> <a href="mailto:ann@example.com">Ann</a></p>';
    expect(htmlToText(html)).toBe('Reset your password <https://example.com/reset> or https://example.com or this Ann <ann@example.com>');
  });

  it('uses image alt text and survives broken markup', () => {
    expect(htmlToText('<p>Logo: <img src="cid:x" alt="ACME"> <b>bold <i>unclosed</p><div>next')).toBe('Logo: ACME bold unclosed\n\nnext');
    expect(htmlToText('')).toBe('');
    // The tokenizer keeps stray brackets as text; a tag cut off at the end is not markup either.
    expect(htmlToText('<<<>>> & &unknown; <p')).toBe('<<<>>> & &unknown; p');
  });
});
