/**
 * A tiny typed event emitter whose `emit` never throws: a listener's exception is reported to
 * `onListenerError` (default: stderr) instead of unwinding into whoever emitted (for the launcher,
 * Node's child_process machinery).
 */
type Listener<A extends unknown[]> = (...args: A) => void;

export class SafeEmitter<Events extends Record<string, unknown[]>> {
  private listeners = new Map<keyof Events, Set<Listener<any>>>();

  constructor(private readonly onListenerError: (error: unknown, event: string) => void = reportToStderr) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (...args: Events[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, String(event));
      }
    }
  }
}

function reportToStderr(error: unknown, event: string): void {
  process.stderr.write(`symlora: a '${event}' listener threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}
