/**
 * Work taken off the MCP server's response path: measuring and scanning a result runs
 * after the response has gone out, a batch at a time, between the server's own events.
 * Bounded: when full, `offer` says no and the caller does only what it must.
 */
export class DeferredWork {
  private readonly tasks: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly maxPending = 4096,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  get pending(): number {
    return this.tasks.length;
  }

  offer(task: () => void): boolean {
    if (this.tasks.length >= this.maxPending) return false;
    this.tasks.push(task);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return true;
  }

  /** Runs everything pending now (at shutdown, before a flush). */
  drain(): void {
    this.scheduled = false;
    // Tasks added while draining wait for the next turn, so one burst cannot starve I/O.
    const batch = this.tasks.splice(0, this.tasks.length);
    for (const task of batch) {
      try {
        task();
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.tasks.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }
}
