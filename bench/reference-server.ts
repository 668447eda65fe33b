/**
 * The ceiling for the sign-in ratio on this machine: a bare node:http server
 * whose every request is one argon2id verification and nothing else (no
 * GraphQL, no database, no token). `npm run bench` loads it like the real
 * sign-in, so the two ratios can be read side by side.
 */
import argon2 from "argon2";
import http from "node:http";
import { OWASP_ARGON2ID } from "../src/crypto/password-hasher.js";

const hash = await argon2.hash("correct horse battery staple", OWASP_ARGON2ID);
const server = http.createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", async () => {
    const ok = await argon2.verify(hash, (JSON.parse(body) as { password: string }).password);
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ ok }));
  });
});
server.listen(0, "127.0.0.1", () => console.log((server.address() as { port: number }).port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
