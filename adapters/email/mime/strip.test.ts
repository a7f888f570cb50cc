import { describe, expect, it } from 'vitest';
import { chatText } from './strip.ts';

describe('chatText', () => {
  it('cuts a top-posted reply\'s "On … wrote:" and the quote below it', () => {
    const text = 'Sounds good, see you at 8.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Ann Example <ann@example.com> wrote:\n\n> Dinner tonight?\n> \n>> earlier\n';
    expect(chatText(text)).toEqual({ text: 'Sounds good, see you at 8.', stripped: true });
  });

  it('finds an attribution that Gmail wrapped over two lines', () => {
    const text = 'Yes!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Ann Example <\nann@example.com> wrote:\n> Coming?\n';
    expect(chatText(text).text).toBe('Yes!');
    expect(chatText('Yes!\nOn Mon, 1 Jan 2024, Bob <bob@example.com> wrote:\n> Coming?').text).toBe('Yes!');
  });

  it('knows German and French attributions', () => {
    expect(chatText('Klingt gut.\n\nAm 01.01.2024 um 10:00 schrieb Max Mustermann <max@example.de>:\n> Treffen wir uns?\n').text).toBe('Klingt gut.');
    expect(chatText('Max Mustermann <max@example.de> schrieb am Mo., 1. Jan. 2024, 10:00:\n> Hallo\n').text).toBe('Max Mustermann <max@example.de> schrieb am Mo., 1. Jan. 2024, 10:00:\n> Hallo\n');
    expect(chatText('Danke!\nMax Mustermann <max@example.de> schrieb am Mo., 1. Jan. 2024, 10:00:\n> Hallo\n').text).toBe('Danke!');
    expect(chatText("D'accord.\n\nLe lun. 1 janv. 2024 à 10:00, Jean Dupont <jean@example.fr> a écrit :\n> On se voit ?\n").text).toBe("D'accord.");
  });

  it('removes the signature after "-- ", before or after the quote', () => {
    expect(chatText('Hi Bob,\nthanks.\n\n-- \nAnn Example\nExample Corp\n')).toEqual({ text: 'Hi Bob,\nthanks.', stripped: true });
    expect(chatText('Reply here\n\n-- \nAnn\n\nOn Mon, 1 Jan 2024, Bob wrote:\n> question\n').text).toBe('Reply here');
    expect(chatText('Reply here\n\nOn Mon, 1 Jan 2024, Bob wrote:\n> question\n\n-- \nAnn\n').text).toBe('Reply here');
  });

  it("cuts Outlook's original-message block and its From/Sent header block", () => {
    const original = 'Approved.\r\n\r\n-----Original Message-----\r\nFrom: Bob <bob@example.com>\r\nSent: Monday, January 1, 2024 10:00 AM\r\nTo: Ann\r\nSubject: Budget\r\n\r\nPlease approve.\r\n';
    expect(chatText(original)).toEqual({ text: 'Approved.', stripped: true });
    const web = 'Thanks!\n\nBest,\nAnn\n\n________________________________\nFrom: Bob <bob@example.com>\nSent: Monday, January 1, 2024 10:00\nTo: Ann <ann@example.com>\nSubject: Re: Budget\n\nHere it is.\n';
    expect(chatText(web).text).toBe('Thanks!\n\nBest,\nAnn');
    const german = 'Passt.\n\nVon: Bob <bob@example.com>\nGesendet: Montag, 1. Januar 2024 10:00\nAn: Ann\nBetreff: Budget\n\nHier.\n';
    expect(chatText(german).text).toBe('Passt.');
  });

  it('keeps interleaved replies as they are', () => {
    const text = 'On Mon, Bob wrote:\n> Can you come?\nYes.\n> At 8?\nBetter 9.\n';
    expect(chatText(text)).toEqual({ text, stripped: false });
  });

  it('keeps the original when everything is quoted, or nothing visible would remain', () => {
    const quoteOnly = '> just a quote\n> nothing else\n';
    expect(chatText(quoteOnly)).toEqual({ text: quoteOnly, stripped: false });
    const attributionOnly = 'On Mon, 1 Jan 2024, Bob wrote:\n> hello\n';
    expect(chatText(attributionOnly)).toEqual({ text: attributionOnly, stripped: false });
    expect(chatText('-- \nonly a signature\n')).toEqual({ text: '-- \nonly a signature\n', stripped: false });
    expect(chatText('')).toEqual({ text: '', stripped: false });
  });

  it('does not take the sender\'s own "Bob wrote:" for an attribution', () => {
    expect(chatText('Hi,\nlook what Bob wrote:\n> the quote\n').text).toBe('Hi,\nlook what Bob wrote:');
  });

  it('leaves plain text alone', () => {
    expect(chatText('Just a message\nwith two lines\n')).toEqual({ text: 'Just a message\nwith two lines\n', stripped: false });
  });
});
