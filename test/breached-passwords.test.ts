/**
 * The breached-password check against a local stand-in for a k-anonymity range
 * API (Have I Been Pwned's shape): found, not found, and the service unreachable.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, SIGN_UP, startApp, type TestApp } from "./helpers.js";

const BREACHED = "tr0ub4dor&3 is breached";
const sha1 = (value: string) => createHash("sha1").update(value).digest("hex").toUpperCase();

/** Answers /range/<prefix> with the suffix of BREACHED (when it matches) among padding lines; records the prefixes asked for. */
async function startRangeService(): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server: Server = createServer((request, response) => {
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? "")?.[1];
    if (!prefix) return response.writeHead(404).end();
    asked.push(prefix);
    const lines = ["0123456789ABCDEF0123456789ABCDEF012:0", "FEDCBA9876543210FEDCBA9876543210FED:3"];
    if (sha1(BREACHED).startsWith(prefix)) lines.push(`${sha1(BREACHED).slice(5)}:42`);
    response.writeHead(200, { "content-type": "text/plain" }).end(lines.join("\r\n"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/range`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(DATABASES)("breached-password check (%s)", (kind) => {
  let app: TestApp;
  let service: Awaited<ReturnType<typeof startRangeService>>;
  beforeAll(async () => {
    service = await startRangeService();
    app = await startApp(kind, { env: { PASSWORD_BREACH_CHECK_URL: service.url } });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("refuses a password the service knows, naming the field, and sends only the hash's 5-character prefix", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "breached@example.com", password: BREACHED });
    expect(data.signUpEmailPassword).toMatchObject({
      __typename: "InvalidInputError",
      fieldErrors: [{ id: "password", error: expect.stringContaining("breach") }],
    });
    expect(service.asked.at(-1)).toBe(sha1(BREACHED).slice(0, 5));
    expect(await app.auth.deps.accounts.byEmail("public", "breached@example.com")).toBeNull();
  });

  it("accepts a password the service does not know", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "fresh@example.com", password: "a passphrase nobody has leaked" });
    expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
  });
});

describe("breached-password check with the service unreachable", () => {
  it("fails open: the password is accepted and a warning logged", async () => {
    const service = await startRangeService();
    await service.close(); // nothing listens there any more
    const lines: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const app = await startApp("pglite", { env: { PASSWORD_BREACH_CHECK_URL: service.url }, logger });
    try {
      const { data } = await app.gql(SIGN_UP, { email: "open@example.com", password: BREACHED });
      expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
      expect(lines.some((line) => line.includes("breached-password check unavailable"))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
