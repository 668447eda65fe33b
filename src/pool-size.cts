/**
 * The size `npm start` gives libuv's thread pool, where argon2id hashes run: one
 * thread per core, at least two. Its own module, free of side effects, so the
 * bench sizes its reference processes by the same rule (src/threadpool.cts).
 */
import { availableParallelism } from "node:os";

export function poolSize(): number {
  return Math.max(2, availableParallelism());
}
