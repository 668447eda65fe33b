/**
 * Prints two numbers: argon2id verifications per second on this process's libuv
 * pool (UV_THREADPOOL_SIZE), all threads busy, and the CPU milliseconds one
 * verification costs (process CPU time over the count).
 */
import argon2 from "argon2";
import { OWASP_ARGON2ID } from "../src/crypto/password-hasher.js";

const seconds = Number(process.argv[2] ?? 5);
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const hash = await argon2.hash("correct horse battery staple", OWASP_ARGON2ID);
const deadline = Date.now() + seconds * 1000;
const start = Date.now();
const cpuBefore = process.cpuUsage();
let count = 0;
await Promise.all(
  Array.from({ length: threads * 2 }, async () => {
    while (Date.now() < deadline) {
      await argon2.verify(hash, "correct horse battery staple");
      count++;
    }
  }),
);
const cpu = process.cpuUsage(cpuBefore);
console.log(`${(count / ((Date.now() - start) / 1000)).toFixed(2)} ${((cpu.user + cpu.system) / 1000 / count).toFixed(3)}`);
