/**
 * Preloaded by `npm start` (`node --require ./dist/threadpool.cjs`), before the
 * module loader first uses libuv's thread pool, which reads its size once: one
 * thread per core (at least two) instead of libuv's four. argon2id hashes run on
 * the pool; four at a time on two cores took turns on the same caches and each
 * held 19 MiB, and sign-ins were no faster (issue 17: 240 MB against 275 MB
 * after the sign-in load, CPU per sign-in within the noise). An operator's
 * UV_THREADPOOL_SIZE wins.
 */
import { poolSize } from "./pool-size.cjs";

process.env.UV_THREADPOOL_SIZE ??= String(poolSize());
