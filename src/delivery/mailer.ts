/**
 * Email delivery. With SMTP_URL the messages go out through nodemailer; without
 * it they go to the development outbox, which logs each message and keeps the
 * last ones so a developer (or a test) can read the code or link.
 */
import nodemailer from "nodemailer";
import type { Logger } from "pino";

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

export interface Outbox extends Mailer {
  readonly messages: EmailMessage[];
  /** The newest message sent to `to`, if any. */
  last(to: string): EmailMessage | undefined;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

// Enough to follow a development session; older messages drop off.
const OUTBOX_LIMIT = 100;

export function createOutbox(logger: Logger): Outbox {
  const messages: EmailMessage[] = [];
  return {
    messages,
    async send(message) {
      messages.push(message);
      if (messages.length > OUTBOX_LIMIT) messages.shift();
      logger.info({ to: message.to, subject: message.subject }, `outbox (no SMTP_URL set):\n${message.text}`);
    },
    last: (to) => messages.findLast((message) => message.to === to),
  };
}
