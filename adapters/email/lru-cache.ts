/**
 * A map bounded to `capacity` entries that forgets the least recently used one, for the email
 * adapter's in-memory copies of its state (mail-state.ts, autocrypt/peers.ts). A Map keeps
 * insertion order, so a hit moves its key to the end and the first key is the oldest.
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  /** `capacity` 0 keeps nothing. */
  constructor(readonly capacity: number) {}

  /** The value, or undefined when it is not held (so `V` itself should not include undefined). */
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
