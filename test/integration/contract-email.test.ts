/**
 * The adapter contract for email, against real Dovecot (IMAP, LMTP) and Postfix (submission):
 * the peer is a second email account with its own adapter.
 */
import { adapterContractSuite } from '../../adapters/contract-tests/suite.ts';
import { createEmailAdapter } from '../../adapters/email/adapter.ts';
import { MemoryStorage } from '../../native-protocol/client/storage.ts';
import { startMailServers } from '../servers/mail.ts';
import { emailAccountConfig, EmailParty } from '../support/email-accounts.ts';

/** A multipart message nested 1 000 deep: over the parser's limits on purpose. */
function deeplyNested(to: string): string {
  const depth = 1_000;
  let body = 'innermost\r\n';
  for (let i = depth; i > 0; i--) body = `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n${body}\r\n--b${i}--\r\n`;
  return `From: Mallory <mallory@switchboard.test>\r\nTo: ${to}\r\nSubject: nested\r\nMessage-ID: <nested-${Date.now()}@switchboard.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n${body}`;
}

adapterContractSuite('email', async () => {
  const servers = await startMailServers({ users: [{ name: 'ada', password: 'ada-pw' }, { name: 'grace', password: 'grace-pw' }] });
  const [ada, grace] = servers.users as [(typeof servers.users)[0], (typeof servers.users)[0]];
  const state = new MemoryStorage();
  const peer = new EmailParty(servers, grace);
  await peer.start();
  return {
    makeAdapter: () => createEmailAdapter(emailAccountConfig(servers, ada), { state, secrets: { password: ada.password } }),
    conversation: { kind: 'direct', peer: { address: grace.address } },
    peer: {
      send: async (text) => {
        await peer.sendTo(ada.address, text);
      },
      received: () => peer.received(),
    },
    restartServer: () => servers.restartDovecot(),
    injectBadInput: async () => {
      await servers.deliverRaw('ada', deeplyNested(ada.address));
    },
    cleanup: async () => {
      await peer.stop();
      await servers.stop();
    },
  };
});
