/** Parsed data kept in memory per key, so each source is read once per process. */
export class AsyncMemo<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  /** The value for `key`, loading it on first use; a failed load is forgotten so the next call retries. */
  get(key: K, load: () => Promise<V>): Promise<V> {
    let promise = this.entries.get(key);
    if (!promise) {
      promise = load();
      promise.catch(() => this.entries.delete(key));
      this.entries.set(key, promise);
    }
    return promise;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** `read` run once per process and its result shared; a failed read is retried on the next call. */
export function cachedOnce<T>(read: () => Promise<T>): () => Promise<T> {
  const memo = new AsyncMemo<undefined, T>();
  return () => memo.get(undefined, read);
}
