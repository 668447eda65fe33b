/**
 * `npm run bench`: builds the server and starts it exactly as `npm start` does
 * (compiled JavaScript, production mode) on PostgreSQL (BENCH_DATABASE_URL or
 * DATABASE_URL, in a fresh database of its own; PGlite in a temporary folder
 * when neither is set, and then the scale figures are skipped), loads it over
 * HTTP with autocannon and prints, from one run:
 *   - throughput: password sign-ins/s next to the argon2id bound of this machine,
 *     `me` next to a trivial `{ __typename }` (in alternating turns), refresh rotations/s on 16 chains;
 *   - the server's CPU milliseconds per operation (from /proc), and a sign-in's
 *     beside the CPU one argon2id verification costs, measured just before and just
 *     after the sign-in load; split by thread, with the main thread's resumptions
 *     per sign-in, and the same for a bare node:http server that only verifies;
 *   - the same sign-in with the users' stored hashes made cheap (PostgreSQL only):
 *     what the code around the hash costs when no hash empties the caches;
 *   - the server's RSS idle and at the end of the sign-in load;
 *   - Better Auth beside it when BENCH_BETTER_AUTH_URL names a running peer;
 *   - p50/p99 latencies of me, refresh and sign-in with 1,000 and 1,000,000
 *     users in the database (bulk-inserted, not through the API).
 */
import argon2 from "argon2";
import autocannon from "autocannon";
import { OWASP_ARGON2ID } from "../src/crypto/password-hasher.js";
import { poolSize } from "../src/pool-size.cjs";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { startCommand } from "../test/processes.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const SCALE = (process.env.BENCH_SCALE ?? "1000,1000000").split(",").filter(Boolean).map(Number);
const PASSWORD = "correct horse battery staple";
const CHAINS = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// With --trace-opt, V8 optimized the functions a sign-in runs once (the HTTP listener,
// yoga's processRequest, signIn, openSession) only after 1,000-1,500 sign-ins.
const WARM_UP_SIGN_INS = Number(process.env.BENCH_WARM_UP_SIGN_INS ?? 2000);
// One user for `me`, and fresh refresh chains for the warm-up and every round.
const USERS = Math.max(64, 1 + CHAINS * (ROUNDS + 1));
const PEER = process.env.BENCH_BETTER_AUTH_URL;
// Operations as codegen clients send them: one document, the values in variables.
const SIGN_IN = "mutation SignIn($email: String!, $password: String!) { signInEmailPassword(email: $email, password: $password) { __typename } }";
const TICKS_PER_SECOND = 100; // Linux USER_HZ
// libuv's pool in the server, as `npm start` sizes it.
const SERVER_POOL = poolSize();

interface Load {
  perSecond: number;
  requests: number;
  p50: number;
  p99: number;
  /** Server CPU ms per request over the load. */
  cpuMs: number;
  /** Of which on the main thread (JavaScript); the rest is libuv's pool (argon2id) and V8's helpers (GC, compilation). */
  mainCpuMs: number;
  /** Of which on libuv's pool: its SERVER_POOL busiest threads besides the main one (argon2id during a sign-in load). */
  poolCpuMs: number;
  /**
   * Times per request the main thread started running again: after waiting for an event
   * (the kernel's voluntary context switches) or after a hashing thread took its core
   * (involuntary ones). During a sign-in load it resumes each time on caches argon2id has emptied.
   */
  wakeups: number;
}

async function main() {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const port = 41_000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const cleanups: Array<() => Promise<void>> = [];
  // Production mode needs a mail server: one that takes the verification emails and drops them.
  const smtp = new SMTPServer({ authOptional: true, disabledCommands: ["STARTTLS"], onData: (stream, _session, done) => stream.resume().on("end", done) });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => smtp.close(() => resolve())));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    PORT: String(port),
    NODE_ENV: "production",
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    PUBLIC_URL: base,
    CLIENT_URL: "http://127.0.0.1:3000",
    SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
    LOG_LEVEL: "warn",
  };
  let database = "PGlite (embedded)";
  let benchDatabase: string | undefined;
  if (databaseUrl) {
    const name = `auth_bench_${randomBytes(4).toString("hex")}`;
    await adminQuery(databaseUrl, `CREATE DATABASE ${name}`);
    cleanups.push(() => adminQuery(databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    env.DATABASE_URL = benchDatabase = url.toString();
    database = "PostgreSQL";
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), "auth-bench-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    env.DATA_DIR = dir;
  }

  // What `npm start` runs, after the build that `prestart` does.
  const build = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const start = startCommand();
  Object.assign(env, start.env);
  // Migrated first by the job the deployment guide describes, so the server starts as a replica does.
  const migrated = spawnSync(process.execPath, ["dist/migrate.js"], { env, stdio: ["ignore", "ignore", "inherit"] });
  if (migrated.status !== 0) throw new Error("npm run migrate failed");
  env.MIGRATE_ON_START = "false";
  const server = spawn(process.execPath, start.args, { env, stdio: ["ignore", "inherit", "inherit"] });
  const pid = server.pid!;
  try {
    await waitForHealth(base, server);
    await sleep(3000);
    const rssIdle = await rssMiB(pid);

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
    const meToken = sessions[0]!.accessToken;
    const signIn = (seconds: number, pick: () => string, connections = 16, amount?: number) =>
      load("sign-in", base, pid, connections, {
        seconds,
        amount,
        setupRequest: (request: any) => ({
          ...request,
          body: JSON.stringify({ query: SIGN_IN, variables: { email: pick(), password: PASSWORD } }),
        }),
        expect: "SignInEmailPasswordOk",
      });
    let next = 0;
    const nextBenchUser = () => emails[next++ % USERS]!;
    const me = (seconds: number, token: string, connections = 16) =>
      load("me", base, pid, connections, {
        seconds,
        body: JSON.stringify({ query: "{ me { id email } }" }),
        headers: { authorization: `Bearer ${token}` },
        expect: '"email"',
      });

    // Warm-up, not counted in the rounds: JIT, pools and plan caches. The server's first
    // sign-ins run the code V8 has not optimized yet, so the CPU beside the hash is printed
    // for them apart: a replica in service has long passed them.
    const warmUp = await signIn(DURATION, nextBenchUser, 16, WARM_UP_SIGN_INS);
    // Refresh runs code of its own: without this, the first round's refresh was the lowest in most runs.
    await refreshChains(
      base,
      pid,
      sessions.slice(1 + CHAINS * ROUNDS, 1 + CHAINS * (ROUNDS + 1)).map((session) => session.refreshToken),
      DURATION,
    );

    // The machine is shared: each ratio is measured in adjacent pairs, ROUNDS times, and the median round is reported.
    const rounds: Array<{ hashes: number; argon2CpuMs: number; signIn: Load; reference: Load; trivial: Load; me: Load; refresh: Load; rss: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      // The bound on libuv's default pool first: so the server idles some 8 s before the
      // sign-in load, and the heap the previous round's `me` and refresh loads left has been
      // compacted (src/heap-release.ts) as on a replica between bursts. Started within 3 s
      // of them, the load ended at up to 215 MiB, against 168-197 after the idle.
      const onDefaultPool = await verificationsAlone(4, DURATION / 2);
      // One verification alone just before the sign-in load and just after it: the mean
      // stands for the machine during the load (measured only before it, the two drifted
      // by -2.2 to +2.5 ms of a 34 ms hash in one hour).
      const before = await verificationsAlone(SERVER_POOL, DURATION / 4);
      const signInLoad = await signIn(DURATION, nextBenchUser);
      const rss = await rssMiB(pid);
      const after = await verificationsAlone(SERVER_POOL, DURATION / 4);
      const argon2CpuMs = (before.cpuMs + after.cpuMs) / 2;
      const hashes = Math.max((before.hashes + after.hashes) / 2, onDefaultPool.hashes);
      const reference = await referenceVerifications();
      const [trivial, meLoad] = await alternate(
        (seconds) => load("trivial", base, pid, 16, { seconds, body: JSON.stringify({ query: "{ __typename }" }), expect: "Query" }),
        (seconds) => me(seconds, meToken),
      );
      const chains = sessions.slice(1 + CHAINS * round, 1 + CHAINS * (round + 1)).map((session) => session.refreshToken);
      const refresh = await refreshChains(base, pid, chains, DURATION);
      rounds.push({ hashes, argon2CpuMs, signIn: signInLoad, reference, trivial, me: meLoad, refresh, rss });
    }
    const median = (pick: (round: (typeof rounds)[number]) => number) => {
      const sorted = rounds.map(pick).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    const rssAfter = Math.max(...rounds.map((round) => round.rss));
    const peer = PEER ? await betterAuth(PEER) : undefined;

    const scale: Array<{ users: number; me: Load; refresh: Load; signIn: Load }> = [];
    let cheap: Load | undefined;
    if (benchDatabase) {
      const seeder = new pg.Client({ connectionString: benchDatabase });
      await seeder.connect();
      try {
        for (const users of SCALE) {
          const seeded = await seedUsers(seeder, users);
          const randomSeeded = () => `seed${Math.floor(Math.random() * (seeded - USERS))}@bench.example`;
          const fresh = await Promise.all(
            Array.from({ length: CHAINS }, async () => {
              const { data } = await gql(
                `mutation { signInEmailPassword(email: "${randomSeeded()}", password: "${PASSWORD}") { ... on SignInEmailPasswordOk { session { accessToken refreshToken } } } }`,
              );
              return data.signInEmailPassword.session as { accessToken: string; refreshToken: string };
            }),
          );
          scale.push({
            users: seeded,
            me: await me(SCALE_SECONDS, fresh[0]!.accessToken, 4),
            refresh: await refreshChains(
              base,
              pid,
              fresh.slice(0, 4).map((session) => session.refreshToken),
              SCALE_SECONDS,
            ),
            signIn: await signIn(SCALE_SECONDS, randomSeeded, 4),
          });
        }
        cheap = await cheapSignIns(seeder, nextBenchUser, signIn);
      } finally {
        await seeder.end();
      }
    }

    const cpu = os.cpus();
    console.log(`\nmachine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log(`server: \`${start.text}\`, NODE_ENV=production, on ${database}; load generator and database on the same machine`);
    console.log(`${DURATION} s per measurement, median of ${ROUNDS} rounds\n`);
    const rows: Array<[string, string]> = [
      ["argon2id bound (OWASP m=19 MiB t=2 p=1), hashes/s on all cores", median((r) => r.hashes).toFixed(1)],
      ["password sign-ins/s through GraphQL (16 connections)", median((r) => r.signIn.perSecond).toFixed(1)],
      ["  sign-in / argon2 bound", median((r) => r.signIn.perSecond / r.hashes).toFixed(2)],
      ["  ceiling: bare node:http + argon2id verify / argon2 bound", median((r) => r.reference.perSecond / r.hashes).toFixed(2)],
      ["trivial { __typename } queries/s (16 connections)", median((r) => r.trivial.perSecond).toFixed(0)],
      ["me queries/s with a bearer token (16 connections)", median((r) => r.me.perSecond).toFixed(0)],
      ["  me / trivial", median((r) => r.me.perSecond / r.trivial.perSecond).toFixed(2)],
      [`refreshSession rotations/s (${CHAINS} chains, all intact)`, median((r) => r.refresh.perSecond).toFixed(0)],
      ["CPU ms per argon2id verification", median((r) => r.argon2CpuMs).toFixed(2)],
      ["server CPU ms per sign-in", median((r) => r.signIn.cpuMs).toFixed(2)],
      ["  on libuv's pool (argon2id)", median((r) => r.signIn.poolCpuMs).toFixed(2)],
      ["  on the main thread (HTTP, GraphQL, SQL client, tokens)", median((r) => r.signIn.mainCpuMs).toFixed(2)],
      ["  on V8's helper threads (GC, JIT)", median((r) => besidePool(r.signIn) - r.signIn.mainCpuMs).toFixed(2)],
      ["  times the main thread resumed per sign-in (events waited for, and preemptions)", median((r) => r.signIn.wakeups).toFixed(2)],
      // Paired like the ratios: each round's sign-in against the verifications measured just before and after it.
      ["  beside the hash (sign-in minus one verification alone)", median((r) => r.signIn.cpuMs - r.argon2CpuMs).toFixed(2)],
      ["    of which the hash slowed by the load (pool minus one verification alone)", median((r) => r.signIn.poolCpuMs - r.argon2CpuMs).toFixed(2)],
      ["  bare node:http + argon2id verify: main thread and helpers per verification", median((r) => besidePool(r.reference)).toFixed(2)],
      ["    times its main thread resumed per verification", median((r) => r.reference.wakeups).toFixed(2)],
      ["    so GraphQL, SQL and tokens add on the main thread and helpers", median((r) => besidePool(r.signIn) - besidePool(r.reference)).toFixed(2)],
      [
        `  beside the hash in the first ${WARM_UP_SIGN_INS.toLocaleString("en")} sign-ins (warm-up, JIT compiling): all, main thread`,
        `${(warmUp.cpuMs - median((r) => r.argon2CpuMs)).toFixed(2)}, ${warmUp.mainCpuMs.toFixed(2)}`,
      ],
      [
        "  with a cheap stored hash (m=64 KiB t=1), 1 connection: all, main thread",
        cheap ? `${cheap.cpuMs.toFixed(2)}, ${cheap.mainCpuMs.toFixed(2)}` : "skipped (needs PostgreSQL)",
      ],
      ["    so between real hashes the main thread costs (times)", cheap ? median((r) => r.signIn.mainCpuMs / cheap.mainCpuMs).toFixed(1) : "-"],
      ["server CPU ms per trivial query", median((r) => r.trivial.cpuMs).toFixed(3)],
      ["server CPU ms per me", median((r) => r.me.cpuMs).toFixed(3)],
      ["server CPU ms per refresh", median((r) => r.refresh.cpuMs).toFixed(3)],
      ["server RSS idle, MiB", rssIdle.toFixed(0)],
      ["server RSS at the end of the sign-in load (highest of the rounds), MiB", rssAfter.toFixed(0)],
    ];
    if (peer) {
      rows.push(
        ["Better Auth sign-ins/s (16 connections)", peer.signIns.toFixed(1)],
        ["  sign-in vs Better Auth", `${(median((r) => r.signIn.perSecond) / peer.signIns).toFixed(2)}x`],
        ["Better Auth get-session/s (16 connections)", peer.sessions.toFixed(0)],
        ["  me vs Better Auth session check", `${(median((r) => r.me.perSecond) / peer.sessions).toFixed(2)}x`],
      );
    } else {
      rows.push(["Better Auth peer", "skipped (set BENCH_BETTER_AUTH_URL)"]);
    }
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value.padStart(8)}`);
    const all = (pick: (round: (typeof rounds)[number]) => number, digits = 2) => rounds.map((round) => pick(round).toFixed(digits)).join(", ");
    console.log(
      `\nper round: sign-in/argon2 ${all((r) => r.signIn.perSecond / r.hashes)}; ceiling ${all((r) => r.reference.perSecond / r.hashes)}; me/trivial ${all((r) => r.me.perSecond / r.trivial.perSecond)}; refresh/s ${all((r) => r.refresh.perSecond, 0)}; beside the hash ${all((r) => r.signIn.cpuMs - r.argon2CpuMs)} ms (main thread ${all((r) => r.signIn.mainCpuMs)}, bare server's main and helpers ${all((r) => besidePool(r.reference))}, hash slowed ${all((r) => r.signIn.poolCpuMs - r.argon2CpuMs)}); RSS after load ${all((r) => r.rss, 0)} MiB`,
    );
    if (scale.length > 0) {
      console.log(`\nlatency by users in the database (ms, p50 / p99; 4 connections, ${SCALE_SECONDS} s each):`);
      console.log(`${"users".padStart(10)}  ${"me".padStart(12)}  ${"refresh".padStart(12)}  ${"sign-in".padStart(12)}`);
      const cell = (l: Load) => `${l.p50.toFixed(1)} / ${l.p99.toFixed(1)}`.padStart(12);
      for (const row of scale) console.log(`${row.users.toLocaleString("en").padStart(10)}  ${cell(row.me)}  ${cell(row.refresh)}  ${cell(row.signIn)}`);
    } else {
      console.log(`\nscale figures skipped: ${benchDatabase ? "BENCH_SCALE is empty" : "they need PostgreSQL (BENCH_DATABASE_URL)"}`);
    }
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    for (const cleanup of cleanups) await cleanup();
  }
}

/**
 * Two loads of DURATION each, taken in turns of a quarter of it (a, b, a, b, ...),
 * so that the machine's drift (its neighbours come and go within seconds) falls on
 * both alike; each answered as the sum of its turns. Back to back, two 8 s loads
 * put 0.78-1.21 between `me` and the trivial query in one run.
 */
async function alternate(a: (seconds: number) => Promise<Load>, b: (seconds: number) => Promise<Load>): Promise<[Load, Load]> {
  const turns: [Load[], Load[]] = [[], []];
  for (let turn = 0; turn < 4; turn++) {
    turns[0].push(await a(DURATION / 4));
    turns[1].push(await b(DURATION / 4));
  }
  return [sum(turns[0]), sum(turns[1])];
}

/** CPU ms per request on the main thread and V8's helpers: everything but libuv's pool. */
const besidePool = (load: Load) => load.cpuMs - load.poolCpuMs;

/**
 * Loads run one after another, as one: the rate over their whole time, CPU per request
 * weighted by requests. Its p50 (the turns' medians weighted by requests) and p99 (the
 * worst turn's) stand in for latencies nothing prints: only the scale loads', never summed, are.
 */
function sum(loads: Load[]): Load {
  const requests = loads.reduce((total, l) => total + l.requests, 0);
  const seconds = loads.reduce((total, l) => total + l.requests / l.perSecond, 0);
  const perRequest = (pick: (l: Load) => number) => loads.reduce((total, l) => total + pick(l) * l.requests, 0) / requests;
  return {
    perSecond: requests / seconds,
    requests,
    p50: perRequest((l) => l.p50),
    p99: Math.max(...loads.map((l) => l.p99)),
    cpuMs: perRequest((l) => l.cpuMs),
    mainCpuMs: perRequest((l) => l.mainCpuMs),
    wakeups: perRequest((l) => l.wakeups),
    poolCpuMs: perRequest((l) => l.poolCpuMs),
  };
}

/**
 * The sign-in with the hash made cheap: a verification takes its cost from the stored
 * hash, so the bench's users, given an argon2id hash of m=64 KiB and t=1, sign in
 * through the same code and statements while the pool streams 64 KiB instead of 19 MiB.
 * One connection, so the main thread waits for every event as in the sign-in load:
 * what the code around the hash costs when no hash empties the caches between events.
 * Last, after the scale loads (they copy the first user's real hash).
 */
async function cheapSignIns(
  client: pg.Client,
  pick: () => string,
  signIn: (seconds: number, pick: () => string, connections: number) => Promise<Load>,
): Promise<Load> {
  const hash = await argon2.hash(PASSWORD, { ...OWASP_ARGON2ID, memoryCost: 64, timeCost: 1 });
  await client.query(`UPDATE "User" SET "passwordHash" = $1 WHERE email LIKE 'bench%@example.com'`, [hash]);
  return signIn(DURATION, pick, 1);
}

/**
 * Refresh rotations on one chain per connection: a request spends a chain's
 * current token (the chain's number is the field's alias, so its answer finds
 * the chain again) and the answer makes the child the chain's token. Afterwards
 * every chain must still rotate: a false theft detection would have revoked
 * its family.
 */
async function refreshChains(base: string, pid: number, tokens: string[], seconds: number): Promise<Load> {
  const chains = [...tokens];
  const free = chains.map((_, i) => i);
  // Clients send the token as a variable, so the document (and its parse and validation) is one per chain.
  const mutation = (chain: number) =>
    JSON.stringify({
      query: `mutation Refresh($token: String!) { c${chain}: refreshSession(refreshToken: $token) { __typename ... on RefreshSessionOk { session { refreshToken } } } }`,
      variables: { token: chains[chain] },
    });
  const result = await load("refresh", base, pid, chains.length, {
    seconds,
    setupRequest: (request: any) => {
      const chain = free.shift();
      if (chain === undefined) throw new Error("no refresh chain is free: a request went unanswered");
      return { ...request, body: mutation(chain) };
    },
    onResponse: (_status: number, body: string) => {
      const [alias, answer] = Object.entries(JSON.parse(body).data)[0] as [string, any];
      const chain = Number(alias.slice(1));
      chains[chain] = answer.session.refreshToken;
      free.push(chain);
    },
    expect: "RefreshSessionOk",
  });
  for (const chain of chains.keys()) {
    const answer = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: mutation(chain) }).then((r) =>
      r.text(),
    );
    if (!answer.includes("RefreshSessionOk")) throw new Error(`refresh chain ${chain} broke: ${answer}`);
  }
  return result;
}

/**
 * Fills the database to `total` users the way the API leaves an email/password
 * user (a User row with the same real argon2id hash, and its login method),
 * each with a live session row, in one INSERT ... SELECT per 100,000.
 * Answers how many users there are now.
 */
async function seedUsers(client: pg.Client, total: number): Promise<number> {
  const template = (await client.query(`SELECT "tenantId", "passwordHash" FROM "User" WHERE email = 'bench0@example.com'`)).rows[0];
  const existing = Number((await client.query(`SELECT count(*) FROM "User"`)).rows[0].count);
  for (let from = existing - USERS; from < total - USERS; from += 100_000) {
    const to = Math.min(from + 100_000, total - USERS) - 1;
    await client.query(
      `WITH users AS (
         INSERT INTO "User" (id, "tenantId", email, "passwordHash", roles, "updatedAt")
         SELECT gen_random_uuid(), $1, 'seed' || i || '@bench.example', $2, ARRAY['user'], now() FROM generate_series($3::int, $4::int) AS i
         RETURNING id, "tenantId", email
       ), methods AS (
         INSERT INTO "LoginMethod" (id, "userId", "tenantId", "recipeId", email) SELECT gen_random_uuid(), id, "tenantId", 'emailpassword', email FROM users
       )
       INSERT INTO "Session" (id, "userId", "tenantId", "currentTokenHash", "expiresAt", "authenticatedAt", amr)
       SELECT gen_random_uuid(), id, "tenantId", encode(sha256(convert_to(id::text, 'UTF8')), 'base64'), now() + interval '30 days', now(), ARRAY['pwd'] FROM users`,
      [template.tenantId, template.passwordHash, from, to],
    );
  }
  await client.query("ANALYZE");
  return Math.max(existing, total);
}

/** Better Auth's sign-in and session check beside ours, on users it signs up first. */
async function betterAuth(base: string): Promise<{ signIns: number; sessions: number }> {
  const post = (route: string, body: unknown) =>
    fetch(`${base}/api/auth/${route}`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify(body) });
  const run = randomBytes(3).toString("hex");
  const emails = Array.from({ length: USERS }, (_, i) => `bench${run}${i}@example.com`);
  for (const email of emails) await post("sign-up/email", { email, password: PASSWORD, name: "Bench" });
  const signedIn = await post("sign-in/email", { email: emails[0], password: PASSWORD });
  const cookie = (signedIn.headers.getSetCookie?.() ?? []).map((value) => value.split(";")[0]).join("; ");
  let next = 0;
  const signIns = await autocannon({
    url: `${base}/api/auth/sign-in/email`,
    connections: 16,
    duration: DURATION,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        setupRequest: (request: any) => ({ ...request, body: JSON.stringify({ email: emails[next++ % USERS], password: PASSWORD }) }),
      },
    ],
  });
  const sessions = await autocannon({ url: `${base}/api/auth/get-session`, connections: 16, duration: DURATION, headers: { cookie } });
  if (signIns.non2xx > 0 || sessions.non2xx > 0) throw new Error(`Better Auth answered ${signIns.non2xx + sessions.non2xx} non-2xx`);
  return { signIns: signIns.requests.total / signIns.duration, sessions: sessions.requests.total / sessions.duration };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(sql);
  await client.end();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * User + system CPU time so far, in ms: the whole process's, its main (JavaScript) thread's,
 * and each thread's by id; and the main thread's context switches, both kinds.
 */
async function cpuMs(pid: number): Promise<{ process: number; main: number; threads: Map<string, number>; switches: number }> {
  const ms = async (file: string) => {
    const stat = await readFile(file, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  };
  const tids = await readdir(`/proc/${pid}/task`);
  // A thread that ends between the listing and its read is left out.
  const each = await Promise.all(tids.map((tid) => ms(`/proc/${pid}/task/${tid}/stat`).catch(() => undefined)));
  const threads = new Map(tids.flatMap((tid, i) => (each[i] === undefined ? [] : [[tid, each[i]] as const])));
  const status = await readFile(`/proc/${pid}/task/${pid}/status`, "utf8");
  const switches = [...status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)].reduce((total, match) => total + Number(match[1]), 0);
  return { process: await ms(`/proc/${pid}/stat`), main: threads.get(String(pid)) ?? 0, threads, switches };
}

/**
 * CPU ms the server's libuv pool spent between two readings: its SERVER_POOL busiest
 * threads besides the main one. Node names none of its threads, but during a sign-in
 * load each pool thread runs one hash after another, while V8's helpers (GC,
 * compilation) spend a few percent of that.
 */
function poolCpu(before: Map<string, number>, after: Map<string, number>, pid: number): number {
  const spent = [...after].filter(([tid]) => tid !== String(pid)).map(([tid, ms]) => ms - (before.get(tid) ?? 0));
  return spent
    .sort((a, b) => b - a)
    .slice(0, SERVER_POOL)
    .reduce((total, ms) => total + ms, 0);
}

async function waitForHealth(base: string, server: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error("server exited during start-up");
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error("server did not become healthy");
}

/**
 * bench/reference-server.ts loaded like the sign-in (16 connections), on a pool the
 * server's size: its rate is the ceiling, and its CPU beside the pool is what any
 * node:http server pays on this machine to take a request and hand a hash to the pool.
 */
async function referenceVerifications(): Promise<Load> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/reference-server.ts"], {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(SERVER_POOL) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await new Promise<string>((resolve) => child.stdout!.once("data", (chunk) => resolve(String(chunk).trim())));
    const result = await load("reference", `http://127.0.0.1:${port}`, child.pid!, 16, {
      path: "/",
      body: JSON.stringify({ password: PASSWORD }),
      expect: '{"ok":true}',
    });
    return result;
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/**
 * argon2id verifications per second with every core busy, and the CPU ms one costs, on
 * libuv's pool of `threads` in a fresh process (the pool size is fixed at a process's
 * start). The bound is the better of the server's pool size and libuv's default of 4;
 * the CPU per verification is the server's pool size's, since four threads taking
 * turns on two cores cost more per hash than the server pays.
 */
async function verificationsAlone(threads: number, seconds: number): Promise<{ hashes: number; cpuMs: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/argon2-bound.ts", String(seconds)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  await new Promise((resolve) => child.once("exit", resolve));
  const [hashes, cpuMs] = output.trim().split(" ").map(Number) as [number, number];
  return { hashes, cpuMs };
}

async function load(
  name: string,
  base: string,
  pid: number,
  connections: number,
  options: {
    seconds?: number;
    amount?: number;
    path?: string;
    body?: string;
    headers?: Record<string, string>;
    setupRequest?: any;
    onResponse?: any;
    expect: string;
  },
): Promise<Load> {
  let unexpected = 0;
  const cpuBefore = await cpuMs(pid);
  const result = await autocannon({
    url: `${base}${options.path ?? "/graphql"}`,
    connections,
    // With `amount`, it ends after that many requests instead.
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? DURATION }),
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
  const cpuAfter = await cpuMs(pid);
  if (unexpected > 0 || result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${name}: ${unexpected} unexpected answers, ${result.errors} errors, ${result.non2xx} non-2xx`);
  }
  const requests = result.requests.total;
  return {
    perSecond: requests / (result.duration || options.seconds || DURATION),
    requests,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMs: (cpuAfter.process - cpuBefore.process) / requests,
    mainCpuMs: (cpuAfter.main - cpuBefore.main) / requests,
    wakeups: (cpuAfter.switches - cpuBefore.switches) / requests,
    poolCpuMs: poolCpu(cpuBefore.threads, cpuAfter.threads, pid) / requests,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
