/**
 * The process's own state beside the database's: once draining (shutdown has
 * begun), `/readyz` answers 503 so load balancers stop sending work, and open
 * subscriptions end cleanly, while in-flight requests finish.
 */
export interface Lifecycle {
  readonly draining: boolean;
  /** Aborted when draining begins. */
  readonly signal: AbortSignal;
  drain(): void;
}

export function createLifecycle(): Lifecycle {
  const controller = new AbortController();
  return {
    get draining() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    drain: () => controller.abort(),
  };
}
