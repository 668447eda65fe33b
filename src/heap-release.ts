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
 * (about 90 ms on the 2-vCPU benchmark machine, while no request is waiting)
 * and compacts every page (compactingCollection). `gc` exists when node runs
 * with `--expose-gc`, as `npm start` does. Without it (an app embedding the
 * server) nothing runs.
 */
import { performance } from "node:perf_hooks";
import v8 from "node:v8";

export interface HeapReleaseOptions {
  quietSeconds: number;
  growthBytes: number;
}

export interface HeapReleaseProbes {
  /** Runs a full, compacting collection. */
  gc(): void;
  /** V8's committed heap, in bytes. */
  heapTotal(): number;
  /** Share of the last second the event loop spent running code, 0 to 1. */
  utilization(): number;
}

/** One decision a second: the caller's timer calls `tick`. */
export function createHeapRelease(probes: HeapReleaseProbes, options: HeapReleaseOptions): { tick(): boolean } {
  let compacted = probes.heapTotal();
  let quiet = 0;
  return {
    /** True when it collected. */
    tick() {
      const total = probes.heapTotal();
      // The heap shrank on its own (V8's memory reducer): growth counts from there.
      compacted = Math.min(compacted, total);
      // Below 1%: nothing but timers ran.
      quiet = probes.utilization() < 0.01 ? quiet + 1 : 0;
      if (quiet < options.quietSeconds || total < compacted + options.growthBytes) return false;
      probes.gc();
      compacted = probes.heapTotal();
      return true;
    },
  };
}

/**
 * One full collection that evacuates every page of the old generation. A plain
 * one (`gc()`) moves only the objects of pages that are mostly empty, and the
 * pages a burst leaves are often half used: after a refresh load, `gc()` took
 * the heap from 88 to 87 MB, this from 91 to 67 MB (86 ms). V8's flag is on for
 * this collection only: on for every one, it cost a fifth to a third of `me`'s throughput.
 */
export function compactingCollection(gc: () => void): void {
  v8.setFlagsFromString("--compact-on-every-full-gc");
  try {
    gc();
  } finally {
    v8.setFlagsFromString("--no-compact-on-every-full-gc");
  }
}

/** Starts the check in this process; stop() ends it. A no-op without `--expose-gc`. */
export function releaseHeapWhenIdle(options: HeapReleaseOptions = { quietSeconds: 2, growthBytes: 8 * 2 ** 20 }): { stop(): void } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return { stop() {} };
  let previous = performance.eventLoopUtilization();
  const release = createHeapRelease(
    {
      gc: () => compactingCollection(gc),
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
