/**
 * Gives the JavaScript heap back after a burst (issue 17). Under a high request
 * rate V8 lets its old generation grow to half again what is live before it
 * collects, and keeps those pages when the burst ends: a full collection frees
 * the objects but does not compact pages that are still partly used, and V8's
 * own memory reducer, which compacts when a process falls idle, does not start
 * again for growth under 10 MB. A replica that had served `me` and refresh
 * bursts ended its next sign-in load 15-30 MB above one that had not.
 *
 * So, once the heap has grown by `growthBytes` since it was last compacted and
 * the event loop has been idle for `quietSeconds`, one full collection runs
 * while no request is waiting and compacts every page (compactIncrementally).
 * `npm start` runs this (src/main.ts); an app embedding the server is left alone.
 */
import { constants, type PerformanceEntry, PerformanceObserver, performance } from "node:perf_hooks";
import v8 from "node:v8";

export interface HeapReleaseOptions {
  quietSeconds: number;
  growthBytes: number;
}

export interface HeapReleaseProbes {
  /** Runs a full, compacting collection; settles when it has run. */
  compact(): Promise<unknown>;
  /** V8's committed heap, in bytes. */
  heapTotal(): number;
  /** Share of the last second the event loop spent running code, 0 to 1. */
  utilization(): number;
}

/** One decision a second: the caller's timer calls `tick`. */
export function createHeapRelease(probes: HeapReleaseProbes, options: HeapReleaseOptions): { tick(): boolean } {
  let compacted = probes.heapTotal();
  let quiet = 0;
  let compacting = false;
  return {
    /** True when it started a collection. */
    tick() {
      if (compacting) return false;
      const total = probes.heapTotal();
      // The heap shrank on its own (V8's memory reducer): growth counts from there.
      compacted = Math.min(compacted, total);
      // Below 1%: nothing but timers ran.
      quiet = probes.utilization() < 0.01 ? quiet + 1 : 0;
      if (quiet < options.quietSeconds || total < compacted + options.growthBytes) return false;
      compacting = true;
      probes.compact().finally(() => {
        compacted = probes.heapTotal();
        compacting = false;
      });
      return true;
    },
  };
}

/**
 * One full collection that evacuates every page of the old generation, run the
 * way V8 runs its own collections: marked incrementally, started by an
 * allocation and finished by V8's tasks. A plain full collection moves only the
 * objects of pages that are mostly empty, and the pages a burst leaves are often
 * half used: after a refresh load, `gc()` took the heap from 88 to 87 MB, a
 * compacting one from 91 to 67 MB.
 *
 * Not a forced collection (`gc()` under --expose-gc), though it compacts as
 * well: each forced one, run between bursts, threw away the optimized code of
 * 100-130 functions of the request path (HTTP parsing, streams, yoga), V8's
 * reason "weak objects", even plain node:http's, and the next burst paid about
 * 0.5 ms of CPU per sign-in to optimize them again. The incremental one,
 * measured the same way, threw away none.
 *
 * Two V8 flags are on until the collection has run, at most `timeoutMs`:
 * --compact-on-every-full-gc (every page is evacuated, not only the emptiest;
 * on for every collection it cost a fifth to a third of `me`'s throughput) and
 * --stress-incremental-marking (marking starts at V8's next allocation check
 * instead of at the heap's limit; off again as soon as marking has started).
 * An idle process allocates almost nothing, so this allocates small short-lived
 * objects, about 200 KB a turn of the event loop, until marking starts (at most
 * 64 turns).
 * Resolves true when the collection ran, false when it timed out.
 */
export function compactIncrementally(timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    let marking = false;
    let done = false;
    const finish = (ran: boolean) => {
      if (done) return;
      done = true;
      v8.setFlagsFromString("--no-stress-incremental-marking");
      v8.setFlagsFromString("--no-compact-on-every-full-gc");
      observer.disconnect();
      clearTimeout(timeout);
      resolve(ran);
    };
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        if (!marking && (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL || kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
          // Left on, it would start the next collection as soon as this one ends.
          marking = true;
          v8.setFlagsFromString("--no-stress-incremental-marking");
        }
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) finish(true);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    const timeout = setTimeout(() => finish(false), timeoutMs);
    v8.setFlagsFromString("--compact-on-every-full-gc");
    v8.setFlagsFromString("--stress-incremental-marking");
    let turns = 0;
    const nudge = () => {
      // 64 turns, some 13 MB: V8 started marking within a few in every probe; past them, the timeout ends it.
      if (marking || done || ++turns > 64) return;
      let garbage: Array<{ i: number }> | null = [];
      for (let i = 0; i < 8192; i++) garbage.push({ i });
      garbage = null;
      setImmediate(nudge);
    };
    nudge();
  });
}

/** Starts the check in this process; stop() ends it. */
export function releaseHeapWhenIdle(options: HeapReleaseOptions = { quietSeconds: 2, growthBytes: 8 * 2 ** 20 }): { stop(): void } {
  let previous = performance.eventLoopUtilization();
  const release = createHeapRelease(
    {
      compact: () => compactIncrementally(),
      heapTotal: () => v8.getHeapStatistics().total_heap_size,
      utilization() {
        const now = performance.eventLoopUtilization();
        const { utilization } = performance.eventLoopUtilization(now, previous);
        previous = now;
        return utilization;
      },
    },
    options,
  );
  const timer = setInterval(() => release.tick(), 1000).unref();
  return { stop: () => clearInterval(timer) };
}
