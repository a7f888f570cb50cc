/**
 * Group chats in the browser, against the test double's native accounts: New group from the New
 * chat menu (keyboard only), the Group members dialog (admin marked, "You", Add people, Remove
 * with a confirmation), a group someone else made (no changes offered), a refusal in plain words,
 * and a group the user is no longer in (a bar, the composer off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Account } from '../../core/api/types.ts';
import { expect as pw } from './pw-expect.ts';
import { launchBrowser, openApp, pageErrors, removeProfile, startApp, type App } from './support.ts';

/** Set SHOTS_DIR to keep screenshots of the flow (for looking at the UI, not asserted). */
const SHOTS = process.env.SHOTS_DIR;
async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

let browser: Browser;
let app: App;
let native: Account;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startApp();
  await app.core.call('settings.set', { securityDialogs: false });
  native = await app.core.call('accounts.add', { protocol: 'native', kind: 'test-double', address: 'me-native', displayName: 'Me' });
  const email = await app.core.call('accounts.add', { protocol: 'email', kind: 'test-double', address: 'me@example.org' });
  const t = Date.now() - 3_600_000;
  app.net.receive(native.id, { address: 'ada-key', displayName: 'Ada Lovelace' }, 'Notes on the engine', { sentAt: t });
  app.net.receive(native.id, { address: 'grace-key', displayName: 'Grace Hopper' }, 'Found a moth in the relay', { sentAt: t + 60_000 });
  app.net.receive(native.id, { address: 'katherine-key', displayName: 'Katherine Johnson' }, 'Orbit numbers attached', { sentAt: t + 120_000 });
  app.net.receive(email.id, { address: 'linus@example.com', displayName: 'Linus Pauling' }, 'Plain old mail', { sentAt: t + 180_000 });
  await app.core.ingest.idle();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (app) removeProfile(app.profileDir);
});

async function open(scheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await openApp(browser, app, scheme);
  await pw(page.getByRole('listbox', { name: 'Conversations' })).toBeVisible();
  return page;
}

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? null);
const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute('aria-label') ?? (el instanceof HTMLInputElement ? (el.labels?.[0]?.textContent ?? null) : null);
  });

const groupId = async (title: string): Promise<string> =>
  (await app.core.call('conversations.list', {})).items.find((c) => c.kind === 'group' && c.title === title)!.id;

describe('New group', () => {
  it('from the keyboard: name, people from encrypted chats only, Create opens the group', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New chat' }).focus();
    await page.keyboard.press('ArrowDown');
    await pw(page.getByRole('menu', { name: 'New chat' })).toBeVisible();
    await page.keyboard.press('End');
    expect(await focusedText(page)).toBe('New group');
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'New group' });
    await pw(dialog).toBeVisible();
    const name = dialog.getByRole('textbox', { name: 'Group name' });
    expect(await name.evaluate((el) => el === document.activeElement)).toBe(true);
    const people = dialog.getByRole('group', { name: 'People' });
    await pw(people.getByRole('checkbox')).toHaveCount(3);
    // Only people with an encrypted chat: the email contact is not offered.
    expect(await people.getByRole('checkbox').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.textContent))).toEqual([
      'ALAda Lovelace',
      'GHGrace Hopper',
      'KJKatherine Johnson',
    ]);
    const create = dialog.getByRole('button', { name: 'Create' });
    await page.keyboard.type('Lab meeting');
    expect(await create.isDisabled()).toBe(true);
    // Tab to the first checkbox, tick it with Space; the next one likewise.
    await page.keyboard.press('Tab');
    expect(await focusedLabel(page)).toContain('Ada Lovelace');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await pw(people).toContainText('2 chosen');
    await shot(page, 'new-group-light');
    expect(await create.isEnabled()).toBe(true);
    await create.click();

    await pw(dialog).toBeHidden();
    const main = page.getByRole('main', { name: 'Lab meeting' });
    await pw(main.getByRole('heading', { name: 'Lab meeting' })).toBeVisible();
    await pw(main).toContainText('Group');
    await pw(page.getByRole('option', { name: /Lab meeting/ })).toBeVisible();
    expect(await main.getByRole('textbox', { name: 'Message' }).isEnabled()).toBe(true);
    const members = await app.core.call('groups.members', { conversationId: await groupId('Lab meeting') });
    expect(members.map((m) => [m.displayName, m.isAdmin])).toEqual([
      ['Me', true],
      ['Ada Lovelace', false],
      ['Grace Hopper', false],
    ]);
    // Writing in it goes to the group's room.
    await main.getByRole('textbox', { name: 'Message' }).fill('Agenda: the analytical engine');
    await page.keyboard.press('Enter');
    await pw(main.getByRole('log', { name: 'Messages' })).toContainText('Agenda: the analytical engine');
    expect(app.net.delivered.at(-1)?.out.conversation).toMatchObject({ kind: 'group', title: 'Lab meeting' });
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('says why a group could not be made, and keeps what was entered', async () => {
    const page = await open('dark');
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('menuitem', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByRole('textbox', { name: 'Group name' }).fill('Night shift');
    await dialog.getByRole('checkbox', { name: 'Katherine Johnson' }).check();
    await shot(page, 'new-group-dark');
    app.net.adapter(native.id).setStatus('offline');
    try {
      await dialog.getByRole('button', { name: 'Create' }).click();
      await pw(dialog.getByRole('alert')).toContainText("Couldn't create the group:");
      await pw(dialog.getByRole('alert')).toContainText('this account is offline');
    } finally {
      app.net.adapter(native.id).setStatus('online');
    }
    expect(await dialog.getByRole('textbox', { name: 'Group name' }).inputValue()).toBe('Night shift');
    expect(await dialog.getByRole('checkbox', { name: 'Katherine Johnson' }).isChecked()).toBe(true);
    await page.keyboard.press('Escape');
    await pw(dialog).toBeHidden();
    expect((await app.core.call('conversations.list', {})).items.some((c) => c.title === 'Night shift')).toBe(false);
    await page.context().close();
  });
});

describe('Group members', () => {
  it('lists the members with the admin marked and "You"; the admin adds people and removes one after confirming', async () => {
    const page = await open();
    await page.getByRole('option', { name: /Lab meeting/ }).click();
    const main = page.getByRole('main', { name: 'Lab meeting' });
    await main.getByRole('button', { name: 'Group members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Group members' });
    const list = dialog.getByRole('list', { name: 'Members' });
    await pw(list.getByRole('listitem')).toHaveCount(3);
    expect(await list.getByRole('listitem').allInnerTexts()).toEqual([expect.stringMatching(/^M\s+You\s+Admin$/), expect.stringMatching(/Ada Lovelace\s+Remove$/), expect.stringMatching(/Grace Hopper\s+Remove$/)]);
    await pw(dialog).toContainText('Lab meeting · 3 members');
    await shot(page, 'group-members-light');

    // Add Katherine.
    await dialog.getByRole('button', { name: 'Add people' }).click();
    const add = dialog.getByRole('region', { name: 'Add people' });
    const offered = add.getByRole('checkbox');
    await pw(offered).toHaveCount(1);
    expect(await offered.evaluate((el) => el === document.activeElement)).toBe(true);
    await shot(page, 'group-add-light');
    await page.keyboard.press('Space');
    await add.getByRole('button', { name: 'Add' }).click();
    await pw(list.getByRole('listitem')).toHaveCount(4);
    await pw(list).toContainText('Katherine Johnson');
    // Focus went back to Add people.
    expect(await focusedText(page)).toBe('Add people');

    // Remove Grace: asked first; Cancel keeps her.
    await list.getByRole('button', { name: 'Remove Grace Hopper' }).click();
    const confirm = dialog.getByRole('region', { name: 'Remove Grace Hopper' });
    await pw(confirm).toContainText('Remove Grace Hopper from Lab meeting? They will get no new messages from the group.');
    await shot(page, 'group-remove-light');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await pw(list.getByRole('listitem')).toHaveCount(4);
    expect(await focusedLabel(page)).toBe('Remove Grace Hopper');
    await list.getByRole('button', { name: 'Remove Grace Hopper' }).click();
    await dialog.getByRole('region', { name: 'Remove Grace Hopper' }).getByRole('button', { name: 'Remove' }).click();
    await pw(list.getByRole('listitem')).toHaveCount(3);
    await pw(list).not.toContainText('Grace Hopper');
    const room = [...app.net.rooms.values()].find((r) => r.title === 'Lab meeting')!;
    expect(room.members.map((m) => m.address)).toEqual(['me-native', 'ada-key', 'katherine-key']);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await pw(dialog).toBeHidden();
    expect(await focusedLabel(page)).toBe('Group members');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('a group someone else made: the admin is marked, no changes are offered; the list follows changes', async () => {
    const room = app.net.outsideGroup(native.id, 'Astronomy night', { address: 'katherine-key', displayName: 'Katherine Johnson' }, [
      { address: 'carl-key', displayName: 'Carl Sagan' },
    ]);
    await app.core.ingest.idle();
    const page = await open('dark');
    await page.getByRole('option', { name: /Astronomy night/ }).click();
    const main = page.getByRole('main', { name: 'Astronomy night' });
    await main.getByRole('button', { name: 'Group members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Group members' });
    const list = dialog.getByRole('list', { name: 'Members' });
    await pw(list.getByRole('listitem')).toHaveCount(3);
    expect(await list.getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringMatching(/You$/),
      expect.stringMatching(/Katherine Johnson\s+Admin$/),
      expect.stringMatching(/Carl Sagan$/),
    ]);
    await pw(dialog.getByRole('button', { name: 'Add people' })).toHaveCount(0);
    await pw(dialog.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
    await shot(page, 'group-members-dark');
    // The admin adds someone elsewhere: the open list follows.
    room.members.push({ address: 'vera-key', displayName: 'Vera Rubin' });
    app.net.announceRoom(room, []);
    await pw(list.getByRole('listitem')).toHaveCount(4);
    await pw(list).toContainText('Vera Rubin');
    await page.keyboard.press('Escape');
    await pw(dialog).toBeHidden();
    await page.context().close();
  });
});

describe('a group the user is no longer in', () => {
  it('shows why, keeps the messages readable and turns the composer off', async () => {
    const page = await open();
    await page.getByRole('option', { name: /Astronomy night/ }).click();
    const main = page.getByRole('main', { name: 'Astronomy night' });
    app.net.receiveInRoom(native.id, [...app.net.rooms.values()].find((r) => r.title === 'Astronomy night')!.roomId, 'Astronomy night', { address: 'katherine-key', displayName: 'Katherine Johnson' }, 'Clear skies tonight');
    await pw(main.getByRole('log', { name: 'Messages' })).toContainText('Clear skies tonight');
    const composer = main.getByRole('textbox', { name: 'Message' });
    expect(await composer.isEnabled()).toBe(true);

    const roomId = [...app.net.rooms.values()].find((r) => r.title === 'Astronomy night')!.roomId;
    app.net.groupEvent(native.id, roomId, 'Astronomy night', true);
    const bar = main.getByRole('region', { name: 'Group membership' });
    await pw(bar).toContainText('You are no longer in this group.');
    expect(await composer.isDisabled()).toBe(true);
    expect(await composer.getAttribute('placeholder')).toBe('You are no longer in this group');
    await pw(main).toContainText('Group · you left');
    await pw(main.getByRole('button', { name: 'Disappearing messages' })).toHaveCount(0);
    await pw(main.getByRole('log', { name: 'Messages' })).toContainText('Clear skies tonight');
    await shot(page, 'group-left-light');
    // The members it had are still listed, with no actions.
    await main.getByRole('button', { name: 'Group members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Group members' });
    await pw(dialog).toContainText('You are no longer in Astronomy night. These were its members when you left.');
    await pw(dialog.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(4);
    await pw(dialog.getByRole('button', { name: 'Add people' })).toHaveCount(0);
    await page.keyboard.press('Escape');

    // Added back: the bar goes and the composer is on again.
    app.net.groupEvent(native.id, roomId, 'Astronomy night', false);
    await pw(bar).toBeHidden();
    expect(await composer.isEnabled()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('looks right in dark mode', async () => {
    const roomId = [...app.net.rooms.values()].find((r) => r.title === 'Astronomy night')!.roomId;
    app.net.groupEvent(native.id, roomId, 'Astronomy night', true);
    await app.core.ingest.idle();
    const page = await open('dark');
    await page.getByRole('option', { name: /Astronomy night/ }).click();
    const main = page.getByRole('main', { name: 'Astronomy night' });
    await pw(main.getByRole('region', { name: 'Group membership' })).toBeVisible();
    await shot(page, 'group-left-dark');
    await page.context().close();
  });
});

describe('a long contact list', () => {
  it('gets a filter that narrows the checklist as the user types', async () => {
    const names = ['Alan Turing', 'Claude Shannon', 'Hedy Lamarr', 'Margaret Hamilton', 'Radia Perlman', 'Tim Berners-Lee'];
    names.forEach((n, i) => app.net.receive(native.id, { address: `${n.split(' ')[0]!.toLowerCase()}-key`, displayName: n }, 'hello', { sentAt: Date.now() - 1000 * (i + 10) }));
    await app.core.ingest.idle();
    const page = await open();
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('menuitem', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    const people = dialog.getByRole('group', { name: 'People' });
    await pw(people.getByRole('checkbox')).toHaveCount(9);
    const filter = people.getByRole('searchbox', { name: 'Find a contact' });
    await filter.fill('ha');
    expect(await people.getByRole('checkbox').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.querySelector('.checklist-name')?.textContent))).toEqual([
      'Claude Shannon',
      'Margaret Hamilton',
    ]);
    // A ticked contact stays ticked while filtered out.
    await people.getByRole('checkbox', { name: 'Margaret Hamilton' }).check();
    await filter.fill('zzz');
    await pw(people).toContainText('No contact matches “zzz”.');
    await pw(people).toContainText('1 chosen');
    await shot(page, 'new-group-filter-light');
    await filter.fill('');
    expect(await people.getByRole('checkbox', { name: 'Margaret Hamilton' }).isChecked()).toBe(true);
    await page.context().close();
  });
});
