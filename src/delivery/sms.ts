/**
 * SMS delivery. Without a provider configured, messages go to the development
 * outbox (logged and kept, like email's); a provider is any SmsSender, such as
 * the Twilio-compatible HTTP sender (issue #3 follow-up).
 */
import type { Logger } from "pino";

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

const OUTBOX_LIMIT = 100;

export function createSmsOutbox(logger: Logger): SmsOutbox {
  const messages: SmsMessage[] = [];
  return {
    messages,
    async send(message) {
      messages.push(message);
      if (messages.length > OUTBOX_LIMIT) messages.shift();
      logger.info({ to: message.to }, `sms outbox (no SMS provider set): ${message.body}`);
    },
    last: (to) => messages.findLast((message) => message.to === to),
  };
}
