/** The typed event fan-out every adapter needs for `Adapter.on`: listeners per event type. */
import type { AdapterEvent, AdapterEventType, Unsubscribe } from './contract.ts';

type Listener = (e: AdapterEvent) => void;

export class AdapterListeners {
  private readonly byType = new Map<AdapterEventType, Set<Listener>>();

  on<E extends AdapterEventType>(type: E, fn: (e: Extract<AdapterEvent, { type: E }>) => void): Unsubscribe {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    const l = fn as Listener;
    set.add(l);
    return () => set.delete(l);
  }

  emit(e: AdapterEvent): void {
    for (const l of this.byType.get(e.type) ?? []) l(e);
  }
}
