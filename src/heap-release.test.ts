import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createHeapRelease } from "./heap-release.js";

const MiB = 2 ** 20;

/** A heap and an event loop the test moves by hand. */
function fakeProcess(heap: number) {
  const state = { heap, busy: 0, collections: 0 };
  const probes = {
    gc() {
      state.collections++;
      state.heap -= 20 * MiB;
    },
    heapTotal: () => state.heap,
    utilization: () => state.busy,
  };
  return { state, probes };
}

describe("releasing the heap after a burst", () => {
  it("collects once the heap has grown and the loop has been quiet long enough, then not again until it grows again", () => {
    const { state, probes } = fakeProcess(80 * MiB);
    const release = createHeapRelease(probes, { quietSeconds: 2, growthBytes: 8 * MiB });
    state.busy = 0.9;
    state.heap = 100 * MiB;
    expect(release.tick()).toBe(false); // busy
    state.busy = 0.001;
    expect(release.tick()).toBe(false); // quiet for one second
    expect(release.tick()).toBe(true); // quiet for two
    expect(state.collections).toBe(1);
    expect(state.heap).toBe(80 * MiB);
    for (let i = 0; i < 5; i++) expect(release.tick()).toBe(false);
    expect(state.collections).toBe(1);
  });

  it("leaves a quiet heap that has not grown alone, and counts growth from where the heap shrank on its own", () => {
    const { state, probes } = fakeProcess(80 * MiB);
    const release = createHeapRelease(probes, { quietSeconds: 1, growthBytes: 8 * MiB });
    state.heap = 87 * MiB;
    expect(release.tick()).toBe(false);
    state.heap = 60 * MiB; // V8's memory reducer
    expect(release.tick()).toBe(false);
    state.heap = 69 * MiB;
    expect(release.tick()).toBe(true);
  });

  it("waits while requests keep the loop busy, however large the heap", () => {
    const { state, probes } = fakeProcess(80 * MiB);
    const release = createHeapRelease(probes, { quietSeconds: 2, growthBytes: 8 * MiB });
    state.heap = 200 * MiB;
    for (const busy of [0.5, 0, 0.2, 0, 0.05]) {
      state.busy = busy;
      expect(release.tick()).toBe(false);
    }
    expect(state.collections).toBe(0);
  });

  it("compacts: a forced collection returns the pages of a fragmented old generation", () => {
    // What the module relies on, checked on this Node.js: objects kept one in eight across
    // many pages, then garbage churned through until V8's own collections have run, leave
    // pages committed that only a forced collection gives back.
    const script = `
      const v8 = require("node:v8");
      const total = () => v8.getHeapStatistics().total_heap_size;
      let kept = [];
      for (let round = 0; round < 40; round++) {
        const batch = Array.from({ length: 50000 }, (_, i) => ({ i, text: "x" + i }));
        kept.push(batch.filter((_, i) => i % 8 === 0));
      }
      kept = kept.slice(0, 20);
      for (let round = 0; round < 200; round++) Array.from({ length: 50000 }, (_, i) => ({ i }));
      const before = total();
      gc();
      console.log(JSON.stringify({ before, after: total() }));`;
    const run = spawnSync(process.execPath, ["--expose-gc", "--max-semi-space-size=8", "--heap-growing-percent=50", "-e", script], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
    expect(after).toBeLessThan(before - 2 * MiB);
  });
});
