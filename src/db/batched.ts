/**
 * Group commit for a hot statement: calls that arrive while `maxInFlight`
 * batches are out wait, and go to the database together as one statement when
 * one comes back (at most `maxBatch` at a time). Under light load a call goes
 * out on the event loop's next turn on its own; under load one round trip and
 * one commit serve many calls, which is what the main thread and PostgreSQL
 * spend most of a small write on.
 *
 * `run` answers one output per input, in their order. If it fails, every call
 * of that batch fails with its error.
 */
export function batched<I, O>(run: (inputs: I[]) => Promise<O[]>, options: { maxInFlight: number; maxBatch: number }): (input: I) => Promise<O> {
  type Call = { input: I; resolve: (output: O) => void; reject: (error: unknown) => void };
  const waiting: Call[] = [];
  let inFlight = 0;
  let scheduled = false;

  const send = () => {
    scheduled = false;
    if (waiting.length === 0 || inFlight >= options.maxInFlight) return;
    const batch = waiting.splice(0, options.maxBatch);
    inFlight++;
    run(batch.map((call) => call.input))
      .then(
        (outputs) => {
          for (const [i, call] of batch.entries()) call.resolve(outputs[i] as O);
        },
        (error: unknown) => {
          for (const call of batch) call.reject(error);
        },
      )
      .finally(() => {
        inFlight--;
        schedule();
      });
    schedule();
  };
  // On the next turn, after the requests read in this one have had their say.
  const schedule = () => {
    if (scheduled || waiting.length === 0 || inFlight >= options.maxInFlight) return;
    scheduled = true;
    setImmediate(send);
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      schedule();
    });
}
