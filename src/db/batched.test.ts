import { setImmediate as turn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { batched } from "./batched.js";

/** A statement the test answers by hand: each batch it was sent, and a way to answer it. */
function fakeStatement() {
  const sent: Array<{ inputs: number[]; answer: () => void; fail: (error: Error) => void }> = [];
  const run = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      sent.push({ inputs, answer: () => resolve(inputs.map((input) => `row ${input}`)), fail: reject });
    });
  return { sent, run };
}

describe("batched", () => {
  it("sends a call made alone on its own, on the next turn", async () => {
    const statement = fakeStatement();
    const call = batched(statement.run, { maxInFlight: 2, maxBatch: 10 });
    const answer = call(1);
    expect(statement.sent).toHaveLength(0);
    await turn();
    expect(statement.sent.map((batch) => batch.inputs)).toEqual([[1]]);
    statement.sent[0]!.answer();
    expect(await answer).toBe("row 1");
  });

  it("gathers the calls of one turn, and those made while every batch is out, and answers each its own output", async () => {
    const statement = fakeStatement();
    const call = batched(statement.run, { maxInFlight: 1, maxBatch: 10 });
    const first = [call(1), call(2)];
    await turn();
    const waiting = [call(3), call(4)];
    await turn();
    const later = call(5);
    await turn();
    expect(statement.sent.map((batch) => batch.inputs)).toEqual([[1, 2]]);
    statement.sent[0]!.answer();
    expect(await Promise.all(first)).toEqual(["row 1", "row 2"]);
    await turn();
    expect(statement.sent.map((batch) => batch.inputs)).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    statement.sent[1]!.answer();
    expect(await Promise.all([...waiting, later])).toEqual(["row 3", "row 4", "row 5"]);
  });

  it("keeps at most maxInFlight batches out, of at most maxBatch calls", async () => {
    const statement = fakeStatement();
    const call = batched(statement.run, { maxInFlight: 2, maxBatch: 3 });
    const answers = Array.from({ length: 8 }, (_, i) => call(i));
    await turn();
    await turn();
    expect(statement.sent.map((batch) => batch.inputs)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    statement.sent[1]!.answer();
    await turn();
    await turn();
    expect(statement.sent.map((batch) => batch.inputs)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    statement.sent[0]!.answer();
    statement.sent[2]!.answer();
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 8 }, (_, i) => `row ${i}`));
  });

  it("fails the calls of a failed batch only, and goes on with the next", async () => {
    const statement = fakeStatement();
    const call = batched(statement.run, { maxInFlight: 1, maxBatch: 10 });
    const failed = [call(1), call(2)].map((answer) => answer.catch((error: Error) => error.message));
    await turn();
    const next = call(3);
    statement.sent[0]!.fail(new Error("deadlock detected"));
    expect(await Promise.all(failed)).toEqual(["deadlock detected", "deadlock detected"]);
    await turn();
    statement.sent[1]!.answer();
    expect(await next).toBe("row 3");
  });
});
