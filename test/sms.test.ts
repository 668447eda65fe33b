import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "./helpers.js";

const CREATE = `mutation($phoneNumber: String!) { createCode(phoneNumber: $phoneNumber) { __typename ... on CreateCodeOk { deviceId preAuthSessionId } } }`;
const CONSUME = `mutation($p: String!, $d: String!, $c: String!) {
  consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c) { __typename ... on ConsumeCodeOk { user { phoneNumber phoneNumberVerified } } }
}`;

describe("SMS through a Twilio-compatible HTTP provider", () => {
  let provider: Server;
  let app: TestApp;
  let answer = 201;
  const received: Array<{ path: string; authorization: string; form: URLSearchParams }> = [];

  beforeAll(async () => {
    // A local server standing in for the provider's Messages API.
    provider = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ path: request.url!, authorization: request.headers.authorization ?? "", form: new URLSearchParams(body) });
        response.writeHead(answer, { "content-type": "application/json" });
        response.end(JSON.stringify(answer < 300 ? { sid: "SM123", status: "queued" } : { message: "provider is down" }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    app = await startApp("pglite", {
      sms: undefined,
      env: { SMS_API_URL: `http://127.0.0.1:${port}`, SMS_ACCOUNT_SID: "AC0123", SMS_AUTH_TOKEN: "secret-token", SMS_FROM: "+15005550006" },
    });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => provider.close(resolve));
  });

  it("posts the code to the provider, and the code signs the user in", async () => {
    const { data } = await app.gql(CREATE, { phoneNumber: "+1 (415) 555-2671" });
    expect(data.createCode.__typename).toBe("CreateCodeOk");
    const request = received.at(-1)!;
    expect(request.path).toBe("/2010-04-01/Accounts/AC0123/Messages.json");
    expect(request.authorization).toBe(`Basic ${Buffer.from("AC0123:secret-token").toString("base64")}`);
    expect(request.form.get("To")).toBe("+14155552671");
    expect(request.form.get("From")).toBe("+15005550006");
    const code = /code is (\d+)/.exec(request.form.get("Body")!)![1]!;
    const { preAuthSessionId, deviceId } = data.createCode;
    const consumed = await app.gql(CONSUME, { p: preAuthSessionId, d: deviceId, c: code });
    expect(consumed.data.consumeCode).toEqual({ __typename: "ConsumeCodeOk", user: { phoneNumber: "+14155552671", phoneNumberVerified: true } });
  });

  it("answers GeneralError when the provider refuses, and keeps nothing", async () => {
    answer = 500;
    const before = await app.auth.deps.prisma.passwordlessDevice.count();
    const { data } = await app.gql(CREATE, { phoneNumber: "+14155552672" });
    answer = 201;
    expect(data.createCode.__typename).toBe("GeneralError");
    expect(await app.auth.deps.prisma.passwordlessDevice.count()).toBe(before);
  });
});
