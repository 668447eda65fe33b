/**
 * SMS delivery. Without a provider configured, messages go to the development
 * outbox (logged and kept, like email's); with SMS_ACCOUNT_SID and friends set,
 * they go through the Twilio-compatible HTTP sender below.
 */
import type { Logger } from "pino";
import { createMemoryOutbox } from "./outbox.js";

export interface SmsMessage {
  to: string;
  body: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

export interface SmsOutbox extends SmsSender {
  readonly messages: SmsMessage[];
  last(to: string): SmsMessage | undefined;
}

/** Keeps sent SMS in memory; logs them, with the text (codes) only when `logBodies` (development). */
export function createSmsOutbox(logger: Logger, logBodies = true): SmsOutbox {
  const outbox = createMemoryOutbox<SmsMessage>();
  return {
    messages: outbox.messages,
    last: outbox.last,
    async send(message) {
      outbox.keep(message);
      logger.info(
        { to: message.to },
        logBodies ? `sms outbox (no SMS provider set): ${message.body}` : "sms outbox (no SMS provider set): text withheld outside development",
      );
    },
  };
}

export interface HttpSmsOptions {
  /** Base URL of a Twilio-compatible API, e.g. https://api.twilio.com */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  /** Sender: a phone number or a messaging service id. */
  from: string;
  /** Give up on a provider that does not answer (ms). */
  timeoutMs?: number;
}

/**
 * Sends through Twilio's Messages API shape: POST {apiUrl}/2010-04-01/Accounts/{sid}/Messages.json,
 * form-encoded To, From (or MessagingServiceSid), Body, with HTTP basic auth. Other providers
 * that speak the same shape work too.
 */
export function createHttpSmsSender(options: HttpSmsOptions): SmsSender {
  const url = `${options.apiUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  const fromField = /^MG[0-9a-f]{32}$/i.test(options.from) ? "MessagingServiceSid" : "From";
  return {
    async send({ to, body }) {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ To: to, [fromField]: options.from, Body: body }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!response.ok) {
        throw new Error(`SMS provider answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      }
    },
  };
}
