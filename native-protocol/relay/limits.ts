/** Tunable limits of a relay; every one has a default and a CLI flag (see cli.ts and README.md). */
export interface RelayLimits {
  /** Largest blob accepted, in bytes (decoded). */
  maxMessageBytes: number;
  /** Largest text frame answered with `bad-frame` instead of processed. */
  maxFrameBytes: number;
  /** Frames larger than this are not even buffered: the socket is closed with 1009. */
  hardFrameBytes: number;
  /** Largest bundle blob (`put-bundle`), in bytes (decoded). */
  maxBundleBytes: number;
  /** Most deposit items or ack seqs in one frame. */
  maxBatch: number;
  /** Most messages one fetch returns, and the default when the client gives none. */
  maxFetchLimit: number;
  defaultFetchLimit: number;
  /** A fetch stops adding messages once their blobs exceed this (always returns at least one). */
  maxFetchBytes: number;
  /** Per-mailbox quota of stored, unexpired messages. */
  quotaCount: number;
  quotaBytes: number;
  /** Time a message is kept, in milliseconds. */
  ttlMs: number;
  /** How often expired messages are deleted. */
  purgeIntervalMs: number;
  /** Token bucket per connection: capacity and refill per second. A frame costs 1 + its deposit items. */
  rateBurst: number;
  ratePerSecond: number;
  /** Frames admitted but not yet answered, per connection. */
  maxInFlight: number;
  maxMailboxesPerConnection: number;
  maxSubscriptionsPerConnection: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const DAY = 24 * 60 * 60 * 1000;

/** The defaults documented in README.md. */
export const DEFAULT_LIMITS: RelayLimits = {
  maxMessageBytes: 256 * KiB,
  maxBundleBytes: 16 * KiB,
  maxFrameBytes: 4 * MiB,
  hardFrameBytes: 8 * MiB,
  maxBatch: 1000,
  maxFetchLimit: 1000,
  defaultFetchLimit: 100,
  maxFetchBytes: 4 * MiB,
  quotaCount: 10_000,
  quotaBytes: 64 * MiB,
  ttlMs: 30 * DAY,
  purgeIntervalMs: 10 * 60 * 1000,
  rateBurst: 2000,
  ratePerSecond: 500,
  maxInFlight: 64,
  maxMailboxesPerConnection: 100,
  maxSubscriptionsPerConnection: 1000,
};

/** A classic token bucket; `take` is O(1) and never blocks. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes `cost` tokens if available; returns false (taking nothing) otherwise. */
  take(cost: number): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (cost > this.tokens) return false;
    this.tokens -= cost;
    return true;
  }
}
