/** Prints argon2id verifications per second on this process's libuv pool (UV_THREADPOOL_SIZE), all threads busy. */
import argon2 from "argon2";
import { OWASP_ARGON2ID } from "../src/crypto/password-hasher.js";

const seconds = Number(process.argv[2] ?? 5);
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const hash = await argon2.hash("correct horse battery staple", OWASP_ARGON2ID);
const deadline = Date.now() + seconds * 1000;
const start = Date.now();
let count = 0;
await Promise.all(
  Array.from({ length: threads * 2 }, async () => {
    while (Date.now() < deadline) {
      await argon2.verify(hash, "correct horse battery staple");
      count++;
    }
  }),
);
console.log((count / ((Date.now() - start) / 1000)).toFixed(2));
