/**
 * `npm start`. Password hashing runs on libuv's thread pool; with more pool
 * threads than cores, argon2's memory-hard hashes only evict each other from
 * the caches (measured: 78 hashes/s with 4 threads on 2 cores, 85 with 2). So
 * the pool matches the cores unless UV_THREADPOOL_SIZE says otherwise. It must
 * be set before anything uses the pool, hence this file imports the server late.
 */
import { availableParallelism } from "node:os";

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));
await import("./server.js");
