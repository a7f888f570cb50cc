/** What the MIME layer hands the email adapter: parsed mail, header summaries, limits. Pure data. */

/** One mailbox from an address field. */
export interface MailAddress {
  /** Trimmed and lowercased. */
  address: string;
  /** The decoded display name, or '' when there is none. */
  name: string;
}

/** One non-body part of a message. */
export interface MailAttachment {
  /** Stable within the message: '1', '2', ... in document order. */
  id: string;
  /** Decoded; a safe default like 'attachment-1.bin' when missing; never holds path separators. */
  filename: string;
  /** Lowercased. */
  mimeType: string;
  /** Decoded bytes. */
  size: number;
  content: Uint8Array;
  /** Without the angle brackets. */
  contentId: string | null;
  /** Shown inside the HTML body (Content-Disposition: inline, or a Content-ID without a disposition). */
  inline: boolean;
}

/** What the top-level header block says; also what `parseHeaderSummary` returns for a header-only fetch. */
export interface MailHeaderSummary {
  /** Without <>, trimmed. */
  messageId: string | null;
  /** The first id, without <>. */
  inReplyTo: string | null;
  /** Ids without <>, in order. */
  references: string[];
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  /** RFC 2047 decoded, '' when none. */
  subject: string;
  /** Milliseconds since the epoch; null when missing or unparseable. */
  date: number | null;
  /** Every header field of the top-level block: names lowercased, values unfolded (raw, not 2047-decoded), in order. */
  headers: { name: string; value: string }[];
}

/** A message parsed within the limits. */
export interface ParsedMail extends MailHeaderSummary {
  /** The text/plain body (format=flowed decoded per RFC 3676 when declared); null if none. */
  text: string | null;
  /** The FIRST text/html body only, never several HTML parts concatenated (EFAIL). Later HTML parts are attachments. */
  html: string | null;
  attachments: MailAttachment[];
  /**
   * Only when the message itself (top level) is multipart/encrypted; protocol="application/pgp-encrypted":
   * the ASCII-armored payload of its second part. An encrypted part nested anywhere else is just an
   * attachment, never decrypted. When set, text, html and attachments are empty: the content is inside.
   */
  pgpEncrypted: string | null;
  /** multipart/report (a delivery status notification or an MDN / read receipt). */
  isReport: boolean;
  /** The report-type parameter of a multipart/report, lowercased (e.g. 'delivery-status', 'disposition-notification'); null otherwise. */
  reportType: string | null;
  /** The top-level MIME type, lowercased. */
  contentType: string;
}

/** Hard limits checked on the raw bytes before any part is decoded. */
export interface MimeLimits {
  /** The whole raw message. */
  maxBytes: number;
  /** Multipart nesting: the top-level entity is depth 0, each multipart level adds one. */
  maxDepth: number;
  /** MIME parts below the top level, multipart containers included. */
  maxParts: number;
  /** One header block (the top level's or one part's), line endings included. */
  maxHeaderBytes: number;
}

/** The limits `parseMail` applies when the caller gives none. */
export const DEFAULT_MIME_LIMITS: MimeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxDepth: 20,
  maxParts: 500,
  maxHeaderBytes: 128 * 1024,
};

/** The outcome of `parseMail`: the mail, or a sentence for the user plus what the top-level headers say. */
export type ParseResult =
  | { ok: true; mail: ParsedMail }
  | { ok: false; reason: string; headers: MailHeaderSummary };
