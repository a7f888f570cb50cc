/**
 * Mail dropped straight into a user's Maildir, the way a local delivery agent does it: written to
 * tmp/, owned by the mail uid, renamed into new/ (or cur/ when already seen). Dovecot picks it up
 * at its next sync (IDLE notices it through inotify). Much faster than LMTP for big fixtures, and
 * the bytes arrive exactly as given, however broken.
 */
import { chown, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Owner of the mail files. */
export interface MailOwner {
  uid: number;
  gid: number;
}

async function ownedDir(path: string, owner: MailOwner): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 }); // recursive: no error if it exists
  await chown(path, owner.uid, owner.gid);
}

/**
 * The Maildir++ folder of `mailbox` under `maildir` ("INBOX" is the Maildir itself; "a/b" is
 * `.a.b`), created with cur/ new/ tmp/ if missing, as are the Maildir and its parent (the home).
 */
export async function ensureMailFolder(maildir: string, mailbox: string, owner: MailOwner): Promise<string> {
  const inbox = mailbox.toUpperCase() === 'INBOX';
  if (!inbox && (mailbox.includes('.') || mailbox.startsWith('/') || mailbox.includes('\0'))) {
    throw new Error(`mailbox name not supported by deliverRaw: ${JSON.stringify(mailbox)}`);
  }
  const folder = inbox ? maildir : join(maildir, `.${mailbox.replaceAll('/', '.')}`);
  // Each level by itself: a recursive mkdir would leave the levels it creates owned by root.
  // The home comes first: Dovecot chdirs there as the mail uid.
  for (const dir of new Set([dirname(maildir), maildir, folder])) await ownedDir(dir, owner);
  for (const sub of ['cur', 'new', 'tmp']) await ownedDir(join(folder, sub), owner);
  if (!inbox) {
    const marker = join(folder, 'maildirfolder');
    await writeFile(marker, '');
    await chown(marker, owner.uid, owner.gid);
  }
  return folder;
}

/** Microseconds of the last name given out, so names (and Dovecot's UID order) follow call order. */
let lastStamp = 0;
let sequence = 0;

/** A unique Maildir file name: `<secs>.M<usecs>P<pid>Q<n>.<host>`, increasing with each call. */
function uniqueName(): string {
  lastStamp = Math.max(Date.now() * 1000, lastStamp + 1);
  sequence += 1;
  const secs = Math.floor(lastStamp / 1_000_000);
  const usecs = lastStamp % 1_000_000;
  return `${secs}.M${usecs}P${process.pid}Q${sequence}.switchboard-test`;
}

/** Writes one message into `folder` (a Maildir folder from ensureMailFolder); returns its final path. */
export async function dropMessage(folder: string, message: Uint8Array | string, owner: MailOwner, seen: boolean): Promise<string> {
  const name = uniqueName();
  const tmp = join(folder, 'tmp', name);
  await writeFile(tmp, message, { mode: 0o600 });
  await chown(tmp, owner.uid, owner.gid);
  const final = seen ? join(folder, 'cur', `${name}:2,S`) : join(folder, 'new', name);
  await rename(tmp, final);
  return final;
}
