/**
 * `npm run bench`: starts the server (PostgreSQL from BENCH_DATABASE_URL or
 * DATABASE_URL, in a fresh database of its own; otherwise PGlite in a temporary
 * folder) as a child process, loads it over HTTP with autocannon and prints:
 *   - password sign-ins/s next to the argon2id bound of this machine (hashes/s on
 *     all cores, measured in the same run), as a ratio, and beside it the same ratio
 *     for a bare node:http server that only verifies (bench/reference-server.ts):
 *     the ceiling any HTTP server reaches here;
 *   - `me` queries/s with a bearer token next to a trivial `{ __typename }`, as a ratio;
 *   - refreshes/s (each connection rotating its own token chain).
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const PASSWORD = "correct horse battery staple";
const USERS = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main() {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const port = 41_000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const cleanups: Array<() => Promise<void>> = [];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    PORT: String(port),
    NODE_ENV: "production",
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    PUBLIC_URL: base,
    LOG_LEVEL: "warn",
  };
  let database = "PGlite (embedded)";
  if (databaseUrl) {
    const name = `auth_bench_${randomBytes(4).toString("hex")}`;
    await adminQuery(databaseUrl, `CREATE DATABASE ${name}`);
    cleanups.push(() => adminQuery(databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    database = "PostgreSQL";
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), "auth-bench-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    env.DATA_DIR = dir;
  }

  const server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "inherit", "inherit"] });
  try {
    await waitForHealth(base, server);
    const gql = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) }).then(
        (response) => response.json() as Promise<any>,
      );

    const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@example.com`);
    const sessions = await Promise.all(
      emails.map(async (email) => {
        const { data } = await gql(
          `mutation { signUpEmailPassword(email: "${email}", password: "${PASSWORD}") { ... on SignUpEmailPasswordOk { session { accessToken refreshToken } } } }`,
        );
        return data.signUpEmailPassword.session as { accessToken: string; refreshToken: string };
      }),
    );

    // The machine is shared (a VM with neighbours): each ratio is measured in adjacent
    // pairs, ROUNDS times, and the median round is reported.
    const rounds: Array<{ hashes: number; signIns: number; reference: number; trivial: number; me: number }> = [];
    let next = 0;
    const signInLoad = (seconds: number) =>
      load("sign-in", base, 16, {
        seconds,
        setupRequest: (request: any) => ({
          ...request,
          body: JSON.stringify({
            query: `mutation { signInEmailPassword(email: "${emails[next++ % USERS]}", password: "${PASSWORD}") { __typename } }`,
          }),
        }),
        expect: "SignInEmailPasswordOk",
      });
    await signInLoad(3); // warm-up: JIT and connection pools, not counted
    for (let round = 0; round < ROUNDS; round++) {
      const hashes = await argon2Bound();
      const signIns = await signInLoad(DURATION);
      const reference = await referenceVerifications();
      const trivial = await load("trivial", base, 16, { body: JSON.stringify({ query: "{ __typename }" }), expect: "Query" });
      const me = await load("me", base, 16, {
        body: JSON.stringify({ query: "{ me { id email } }" }),
        headers: { authorization: `Bearer ${sessions[0]!.accessToken}` },
        expect: "bench0@example.com",
      });
      rounds.push({ hashes, signIns, reference, trivial, me });
    }
    const median = (pick: (round: (typeof rounds)[number]) => number) => {
      const sorted = rounds.map(pick).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    // A queue of live refresh tokens: each request spends one, its answer queues the child.
    const ready = sessions.slice(1).map((session) => session.refreshToken);
    const refreshes = await load("refresh", base, 16, {
      setupRequest: (request: any) => ({
        ...request,
        body: JSON.stringify({
          query: `mutation { refreshSession(refreshToken: "${ready.shift()}") { __typename ... on RefreshSessionOk { session { refreshToken } } } }`,
        }),
      }),
      onResponse: (_status: number, body: string) => {
        ready.push(JSON.parse(body).data.refreshSession.session.refreshToken);
      },
      expect: "RefreshSessionOk",
    });

    const cpu = os.cpus();
    console.log(`\nmachine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log(`database: ${database}; ${DURATION} s per measurement, median of ${ROUNDS} rounds; server and load generator share the machine\n`);
    const rows: Array<[string, string]> = [
      ["argon2id bound (OWASP m=19 MiB t=2 p=1), hashes/s on all cores", median((r) => r.hashes).toFixed(1)],
      ["password sign-ins/s through GraphQL (16 connections)", median((r) => r.signIns).toFixed(1)],
      ["  sign-in / argon2 bound", median((r) => r.signIns / r.hashes).toFixed(2)],
      ["  ceiling: bare node:http + argon2id verify / argon2 bound", median((r) => r.reference / r.hashes).toFixed(2)],
      ["trivial { __typename } queries/s (16 connections)", median((r) => r.trivial).toFixed(0)],
      ["me queries/s with a bearer token (16 connections)", median((r) => r.me).toFixed(0)],
      ["  me / trivial", median((r) => r.me / r.trivial).toFixed(2)],
      ["refreshSession rotations/s (16 connections)", refreshes.toFixed(0)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value.padStart(8)}`);
    const all = (pick: (round: (typeof rounds)[number]) => number) => rounds.map((round) => pick(round).toFixed(2)).join(", ");
    console.log(
      `\nper round: sign-in/argon2 ${all((r) => r.signIns / r.hashes)}; ceiling ${all((r) => r.reference / r.hashes)}; me/trivial ${all((r) => r.me / r.trivial)}`,
    );
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    for (const cleanup of cleanups) await cleanup();
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(sql);
  await client.end();
}

async function waitForHealth(base: string, server: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error("server exited during start-up");
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("server did not become healthy");
}

/** Verifications/s through bench/reference-server.ts, loaded like the sign-in (16 connections). */
async function referenceVerifications(): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/reference-server.ts"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<string>((resolve) => child.stdout!.once("data", (chunk) => resolve(String(chunk).trim())));
    return await load("reference", `http://127.0.0.1:${port}`, 16, {
      path: "/",
      body: JSON.stringify({ password: PASSWORD }),
      expect: '{"ok":true}',
    });
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/**
 * argon2id verifications per second with every core busy: the best of libuv's
 * pool sized to the cores and to its default of 4, each in a fresh process
 * (the pool size is fixed at a process's start).
 */
async function argon2Bound(): Promise<number> {
  let best = 0;
  for (const threads of new Set([os.availableParallelism(), 4])) {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/argon2-bound.ts", String(DURATION / 2)], {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    await new Promise((resolve) => child.once("exit", resolve));
    best = Math.max(best, Number(output.trim()));
  }
  return best;
}

async function load(
  name: string,
  base: string,
  connections: number,
  options: { seconds?: number; path?: string; body?: string; headers?: Record<string, string>; setupRequest?: any; onResponse?: any; expect: string },
): Promise<number> {
  let unexpected = 0;
  const result = await autocannon({
    url: `${base}${options.path ?? "/graphql"}`,
    connections,
    duration: options.seconds ?? DURATION,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body: options.body,
        ...(options.setupRequest ? { setupRequest: options.setupRequest } : {}),
        onResponse: (status: number, body: string, context: unknown) => {
          if (status !== 200 || !body.includes(options.expect)) {
            if (unexpected++ === 0) console.error(`${name}: unexpected answer ${status} ${body.slice(0, 300)}`);
          } else options.onResponse?.(status, body, context);
        },
      },
    ],
  });
  if (unexpected > 0 || result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${name}: ${unexpected} unexpected answers, ${result.errors} errors, ${result.non2xx} non-2xx`);
  }
  return result.requests.total / (result.duration || options.seconds || DURATION);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
