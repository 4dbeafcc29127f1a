// The life cycle of a node's parts: an ordered list, started first to last
// and stopped last to first, so a part stops before whatever it depends on.
// A start that fails stops the parts already started (the failing one
// included: its stop must cope with a half-done start), then rethrows.
// Stopping goes on past a part whose stop fails, so one failing part cannot
// keep the others open; the first failure is rethrown once all have stopped.

export interface Component {
  /** What the part is (for readers and debuggers of the list). */
  readonly name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export class Lifecycle {
  private started = 0;
  private stopping: Promise<void> | undefined;

  constructor(private readonly components: readonly Component[]) {}

  /** Starts every part in order (no further part once stop() was called). */
  async start(): Promise<void> {
    for (const c of this.components) {
      if (this.stopping) return;
      this.started++;
      try {
        await c.start?.();
      } catch (err) {
        await this.stop().catch(() => {});
        throw err;
      }
    }
  }

  /** Stops the started parts in reverse order (once; later calls wait for the first). */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      let failure: { readonly err: unknown } | undefined;
      for (let i = this.started - 1; i >= 0; i--) {
        try {
          await this.components[i]?.stop?.();
        } catch (err) {
          failure ??= { err };
        }
      }
      if (failure) throw failure.err;
    })());
  }
}
