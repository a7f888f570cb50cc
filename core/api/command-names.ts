/**
 * The names of every api command. Kept apart from the schemas so the Electron preload can import
 * the allowlist without bundling the validator. `commands.ts` checks it is complete.
 */
export const COMMAND_NAMES = [
  'conversations.list',
  'conversations.get',
  'conversations.update',
  'conversations.markRead',
  'conversations.typing',
  'conversations.acceptRequest',
  'conversations.fetchHistory',
  'conversations.delete',
  'conversations.start',
  'messages.page',
  'messages.send',
  'messages.pin',
  'messages.pinned',
  'messages.retry',
  'messages.cancel',
  'messages.original',
  'messages.allowRemoteContent',
  'messages.attachment',
  'search',
  'contacts.get',
  'contacts.list',
  'contacts.pinRoute',
  'contacts.merge',
  'contacts.unmerge',
  'contacts.merges',
  'settings.get',
  'settings.set',
  'security.firstUseSeen',
  'accounts.list',
  'accounts.add',
  'accounts.remove',
  'accounts.update',
  'accounts.discover',
  'invites.create',
  'invites.list',
  'invites.revoke',
  'invites.accept',
  'conversations.upgrade',
  'invitations.respond',
  'quarantine.list',
  'quarantine.decide',
  'safety.get',
  'safety.setVerified',
  'safety.acknowledgeChange',
  'verification.start',
  'verification.accept',
  'verification.confirm',
  'verification.cancel',
  'verification.acknowledgeChange',
  'groups.create',
  'groups.members',
  'groups.setMembers',
  'groups.join',
  'groups.leave',
  'groups.setNickname',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * Commands that wait for a remote server before answering (checking a login, looking up email
 * settings, downloading an attachment, making or accepting an invite on a relay): they get `SLOW_CALL_TIMEOUT_MS` instead of the usual deadline (see commands.ts).
 */
export const SLOW_COMMANDS = ['accounts.add', 'accounts.update', 'accounts.discover', 'messages.attachment', 'conversations.upgrade', 'invitations.respond', 'groups.create', 'groups.join', 'groups.setNickname'] as const satisfies readonly CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}
