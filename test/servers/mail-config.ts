/**
 * The configuration files of the mail test servers, written whole into their temp folder so
 * nothing under /etc/dovecot or /etc/postfix is read (Postfix reads only its own file list from
 * /etc/postfix/postfix-files, through `meta_directory`, to create its queue folders).
 */

/** Paths, ports and ids that every config file of one mail-server pair refers to. */
export interface MailLayout {
  /** The temp folder holding everything below. */
  dir: string;
  domain: string;
  ports: { imap: number; lmtp: number; submission: number };
  /** Dovecot: config file, runtime folder, log. */
  dovecotConf: string;
  dovecotBase: string;
  dovecotLog: string;
  /** Dovecot passwd-file (passdb and userdb). */
  usersFile: string;
  /** Homes (one folder per user, Maildir inside), owned by the mail uid. */
  mailRoot: string;
  /** Dovecot auth socket that Postfix's SASL uses. */
  authSocket: string;
  /** Postfix: config folder (main.cf, master.cf), queue, data, log. */
  postfixConfig: string;
  postfixQueue: string;
  postfixData: string;
  postfixLog: string;
  /** The uid/gid that owns and reads the mail (Debian's `mail` user). */
  mailUid: number;
  mailGid: number;
  /** Replaces the IMAP capabilities Dovecot announces (to play a server without IDLE, say). */
  imapCapability?: string | undefined;
}

export function dovecotConf(l: MailLayout): string {
  const instance = l.dir.split('/').pop() ?? 'switchboard-mail';
  return `# Written by test/servers/mail-config.ts; nothing from /etc/dovecot is included.
instance_name = ${instance}
base_dir = ${l.dovecotBase}
state_dir = ${l.dir}/dovecot-state
log_path = ${l.dovecotLog}
hostname = mail.${l.domain}
postmaster_address = postmaster@${l.domain}
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
# Tests log in over plain TCP on loopback.
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is refused at once instead of after the default 2 s.
auth_failure_delay = 0
# Mail belongs to the mail user; Dovecot refuses uid 0 for mail, and first_valid_uid defaults to 500.
first_valid_uid = ${l.mailUid}
last_valid_uid = ${l.mailUid}
first_valid_gid = ${l.mailGid}
last_valid_gid = ${l.mailGid}
mail_location = maildir:~/Maildir
mail_fsync = never
# Hostile fixtures (a 50 MB message, 100 000 parts) need more than the default 256 MB.
default_vsz_limit = 1G
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${l.usersFile}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${l.usersFile}
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
protocol imap {
  # Several adapters and raw clients of one user at once (default 10).
  mail_max_userip_connections = 100
${l.imapCapability ? `  imap_capability = ${l.imapCapability}\n` : ''}}
# No growing delay (2 s up to 15 s) after failed logins from 127.0.0.1: every test client comes
# from there, and a wrong-password test must not slow down the ones after it.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${l.ports.imap}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${l.ports.lmtp}
  }
}
service auth {
  unix_listener ${l.authSocket} {
    mode = 0600
    user = postfix
    group = postfix
  }
}
`;
}

export function postfixMainCf(l: MailLayout): string {
  const outside = `error:delivery outside ${l.domain} is disabled in tests`;
  return `# Written by test/servers/mail-config.ts; a private instance, not the system's Postfix.
compatibility_level = 3.6
queue_directory = ${l.postfixQueue}
data_directory = ${l.postfixData}
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
# Without these Postfix logs to syslog, which is not running here: errors would be invisible.
maillog_file = ${l.postfixLog}
maillog_file_prefixes = ${l.dir}
myhostname = mail.${l.domain}
mydomain = ${l.domain}
myorigin = ${l.domain}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
# Every user's mail goes to Dovecot over LMTP; anything else is refused at RCPT TO.
virtual_mailbox_domains = ${l.domain}
virtual_transport = lmtp:inet:[127.0.0.1]:${l.ports.lmtp}
default_transport = ${outside}
relay_transport = ${outside}
relayhost =
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${l.authSocket}
smtpd_sasl_auth_enable = yes
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_error_sleep_time = 0
smtputf8_enable = no
biff = no
message_size_limit = 67108864
# Mail deferred while Dovecot restarts is retried within seconds, not the default 5 minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`;
}

/**
 * Only the submission listener on 127.0.0.1 (no port 25, no pickup of local sendmail) plus the
 * internal services a submission → LMTP path needs. No service is chrooted: paths stay absolute.
 */
export function postfixMasterCf(l: MailLayout): string {
  return `# service   type  private unpriv chroot wakeup maxproc command
127.0.0.1:${l.ports.submission} inet n - n - - smtpd
cleanup    unix  n       -      n      -      0       cleanup
qmgr       unix  n       -      n      300    1       qmgr
rewrite    unix  -       -      n      -      -       trivial-rewrite
bounce     unix  -       -      n      -      0       bounce
defer      unix  -       -      n      -      0       bounce
trace      unix  -       -      n      -      0       bounce
verify     unix  -       -      n      -      1       verify
flush      unix  n       -      n      1000?  0       flush
proxymap   unix  -       -      n      -      -       proxymap
smtp       unix  -       -      n      -      -       smtp
relay      unix  -       -      n      -      -       smtp
showq      unix  n       -      n      -      -       showq
error      unix  -       -      n      -      -       error
retry      unix  -       -      n      -      -       error
discard    unix  -       -      n      -      -       discard
lmtp       unix  -       -      n      -      -       lmtp
anvil      unix  -       -      n      -      1       anvil
scache     unix  -       -      n      -      1       scache
postlog    unix-dgram n  -      n      -      1       postlogd
`;
}

/** One passwd-file line: name:{PLAIN}password:uid:gid::home:: */
export function passwdLine(l: MailLayout, name: string, password: string): string {
  return `${name}:{PLAIN}${password}:${l.mailUid}:${l.mailGid}::${l.mailRoot}/${name}::\n`;
}
