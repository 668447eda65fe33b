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

  it("compacts: after a plain full collection, the compacting one still returns the pages of a half-used old generation", () => {
    // What the module relies on, checked on this Node.js: objects kept one in two across many
    // pages leave pages too full for a plain collection to evacuate, all committed.
    const script = `
      import("./src/heap-release.ts").then(({ compactingCollection }) => {
        const v8 = require("node:v8");
        const old = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space").space_size;
        const kept = [];
        let churn = [];
        for (let i = 0; i < 600000; i++) {
          const object = { i, text: "x" + i, pair: [i, i + 1] };
          if (i % 2 === 0) kept.push(object);
          else churn.push(object);
          if (churn.length > 50000) churn = [];
        }
        churn = null;
        gc();
        const before = old();
        compactingCollection(gc);
        console.log(JSON.stringify({ before, after: old(), kept: kept.length }));
      });`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", "--max-semi-space-size=8", "--heap-growing-percent=50", "-e", script], {
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
    expect(after).toBeLessThan(before - 4 * MiB);
  });
});
