/**
 * The process's own state beside the database's: once draining (shutdown has
 * begun), `/readyz` answers 503 so load balancers stop sending work, and open
 * subscriptions end cleanly, while in-flight requests finish.
 *
 * In flight means the work itself, not the connection: a request whose client
 * hung up has no socket left for the HTTP server to wait on (and yoga stops
 * waiting for its answer), yet its resolver still runs, between statements or
 * in an argon2id hash. `track` holds such work, and the background tasks a
 * request starts without waiting (deps.background: emails), and `settled` lets
 * shutdown wait for all of it before the database closes.
 */
export interface Lifecycle {
  readonly draining: boolean;
  /** Aborted when draining begins. */
  readonly signal: AbortSignal;
  drain(): void;
  /** Counts `work` as in flight until it settles; answers it unchanged. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves once no tracked work is in flight. */
  settled(): Promise<void>;
}

export function createLifecycle(): Lifecycle {
  const controller = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  return {
    get draining() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    drain: () => controller.abort(),
    track(work) {
      const done: Promise<unknown> = work.then(
        () => inFlight.delete(done),
        () => inFlight.delete(done),
      );
      inFlight.add(done);
      return work;
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}
