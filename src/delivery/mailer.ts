/**
 * Email delivery. With SMTP_URL the messages go out through nodemailer; without
 * it they go to the development outbox, which logs each message and keeps the
 * last ones so a developer (or a test) can read the code or link.
 */
import type { Transporter } from "nodemailer";
import type { Logger } from "pino";
import { createMemoryOutbox } from "./outbox.js";

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

/** Sends through SMTP_URL; nodemailer (megabytes of heap) is loaded by the first message. */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer & { close(): void } {
  let transport: Promise<Transporter> | undefined;
  return {
    async send(message) {
      transport ??= import("nodemailer").then(({ default: nodemailer }) => nodemailer.createTransport(smtpUrl));
      await (await transport).sendMail({ from, ...message });
    },
    close: () => void transport?.then((opened) => opened.close()),
  };
}

/** Keeps sent mail in memory; logs it, with its body (links, codes) only when `logBodies` (development). */
export function createOutbox(logger: Logger, logBodies = true): Outbox {
  const outbox = createMemoryOutbox<EmailMessage>();
  return {
    messages: outbox.messages,
    last: outbox.last,
    async send(message) {
      outbox.keep(message);
      // A subject may carry the code too ("Your sign-in code: 482913"): outside development, only the recipient.
      if (logBodies) logger.info({ to: message.to, subject: message.subject }, `outbox (no SMTP_URL set):\n${message.text}`);
      else logger.info({ to: message.to }, "outbox (no SMTP_URL set): message withheld outside development");
    },
  };
}
