/**
 * Gaps in rooms' timelines: after time away, a room's sync is "limited" (it brings only the newest
 * events, Synapse 10) and the SDK resets the room's timeline. The rest is fetched at once, page by
 * page, back to an event known before the gap opened; what comes is news, not history. A room the
 * account was not in before (just joined) has no gap: its past is history, fetched on scrolling up.
 */
import { Direction, type MatrixClient, type Room } from 'matrix-js-sdk';
import { createAdapterLogger } from '../log.ts';
import { roomTitle } from './rooms.ts';

const log = createAdapterLogger('matrix.gaps');

/** Events a page (`/messages`), here and when the user scrolls up. */
export const HISTORY_PAGE = 50;
/** Pages fetched to fill one gap, at most; older events come when the user scrolls up. */
const GAP_PAGES = 40;

export interface GapDeps {
  accountId: string;
  /** The event was reported before report number `seq`, or stored by core before `at` (ms). */
  knownBefore(eventId: string, seq: number, at: number): boolean;
  /** Says something to the user (an `error` event) and logs it. */
  problem(error: string, meta: Record<string, unknown>): void;
}

interface Gap {
  /** The first event after the gap (null until the sync brings it): only older ones can be known. */
  first: string | null;
  seq: number;
  at: number;
}

export class Gaps {
  private readonly open = new Map<string, { room: Room; gap: Gap }>();
  private readonly filling = new Set<string>();
  /** Rooms with an event seen in this run (a replayed one counts): only those can have a gap. */
  private readonly seenRooms = new Set<string>();

  constructor(private readonly deps: GapDeps) {}

  seen(roomId: string): void {
    this.seenRooms.add(roomId);
  }

  /** Being filled now: what paging back brings is news. */
  isFilling(roomId: string): boolean {
    return this.filling.has(roomId);
  }

  /** The room's timeline was reset by a limited sync, after `seq` reports. */
  opened(room: Room, seq: number): void {
    if (!this.seenRooms.has(room.roomId)) return;
    this.open.set(room.roomId, { room, gap: { first: null, seq, at: Date.now() } });
  }

  /** A live event arrived in the room: the first after a reset marks where the gap ends. */
  liveEvent(roomId: string, eventId: string | undefined): void {
    const entry = this.open.get(roomId);
    if (entry && entry.gap.first === null && eventId) entry.gap.first = eventId;
  }

  /** Fills every open gap (called after each sync). */
  async fill(c: MatrixClient): Promise<void> {
    for (const [roomId, { room, gap }] of [...this.open]) {
      if (this.filling.has(roomId)) continue;
      this.open.delete(roomId);
      if (room.getMyMembership() !== 'join') continue;
      this.filling.add(roomId);
      try {
        let pages = 0;
        while (!this.reachedKnown(room, gap) && room.getLiveTimeline().getPaginationToken(Direction.Backward) !== null) {
          if (++pages > GAP_PAGES) {
            this.deps.problem(`Only the newest ${GAP_PAGES * HISTORY_PAGE} missed events of ${roomTitle(room)} were fetched; older ones come when you scroll up.`, { roomId });
            break;
          }
          await c.scrollback(room, HISTORY_PAGE);
        }
      } catch (e) {
        log.warn('filling a gap in a room failed', { accountId: this.deps.accountId, error: (e as Error).message });
      } finally {
        this.filling.delete(roomId);
      }
    }
  }

  /**
   * Whether the loaded timeline reaches back, before the gap, to an event known before it opened
   * (what paging back brings is reported and stored as it comes, so it does not count).
   */
  private reachedKnown(room: Room, gap: Gap): boolean {
    const events = room.getLiveTimeline().getEvents();
    const end = gap.first ? events.findIndex((e) => e.getId() === gap.first) : -1;
    return events.slice(0, end < 0 ? 0 : end).some((e) => {
      const id = e.getId();
      return id !== undefined && this.deps.knownBefore(id, gap.seq, gap.at);
    });
  }
}
