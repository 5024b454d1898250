/**
 * Batches a stream of items per key and hands each key's batch on at most once per interval, so a
 * trainer logging every few milliseconds never floods a webview (a flood queues up to ~1 s of
 * latency). Pure: the timer functions are injectable for tests.
 */
export interface CoalescerTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: CoalescerTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Coalescer<T> {
  private readonly pending = new Map<string, T[]>();
  private readonly lastFlush = new Map<string, number>();
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (key: string, items: T[]) => void,
    private readonly clock: CoalescerTimers = realTimers,
  ) {}

  push(key: string, items: T[]): void {
    if (items.length === 0) return;
    this.pending.set(key, [...(this.pending.get(key) ?? []), ...items]);
    if (this.timers.has(key)) return;
    const wait = (this.lastFlush.get(key) ?? -Infinity) + this.intervalMs - this.clock.now();
    if (wait <= 0) this.flush(key);
    else
      this.timers.set(
        key,
        this.clock.setTimeout(() => this.flush(key), wait),
      );
  }

  /** Delivers whatever is pending for a key now (e.g. when its run finishes). */
  flush(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.timers.delete(key);
    const items = this.pending.get(key);
    this.pending.delete(key);
    if (!items?.length) return;
    this.lastFlush.set(key, this.clock.now());
    this.deliver(key, items);
  }

  flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flush(key);
  }

  dispose(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }
}
