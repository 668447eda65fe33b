/** Emails carrying a ticket link (verification, reset, email change), sent without delaying the answer. */
import type { Deps } from "../../deps.js";
import type { EmailTemplates } from "../../delivery/email-templates.js";
import type { UserRow } from "../../accounts/users.js";
import { ticketLink } from "./links.js";
import type { EmailPasswordFunctions } from "./service.js";

export interface TicketMail {
  mail(template: keyof EmailTemplates, to: string, link: string, user: UserRow | null, ttlSeconds: number): void;
  /** Issues an emailVerify ticket for `email` and mails its link. */
  sendVerification(user: UserRow, email: string, redirectTo: string | null | undefined): Promise<{ status: "OK" } | { status: "EMAIL_ALREADY_VERIFIED_ERROR" }>;
}

export function createTicketMail(deps: Deps, functions: EmailPasswordFunctions): TicketMail {
  const { config } = deps;
  const ticketMail: TicketMail = {
    mail(template, to, link, user, ttlSeconds) {
      // In the account's language (its locale), else the default locale's.
      const content = deps.messages.for(user?.locale)[template]({
        link,
        email: to,
        // A name is the account holder's words: only mail to their own proven address carries it, so a
        // throw-away account cannot put text of its choosing in our mail to someone else's address.
        displayName: user?.emailVerified && user.email === to ? user.displayName : "",
        expiresInMinutes: Math.round(ttlSeconds / 60),
        newEmail: user?.email ?? undefined,
      });
      // Sent in the background: the answer must not take longer when the account exists.
      deps.background(deps.mailer.send({ to, ...content }), `sending ${template} email`);
    },
    async sendVerification(user, email, redirectTo) {
      const created = await functions.createEmailVerificationToken({ userId: user.id, email, tenantId: user.tenantId, redirectTo });
      if (created.status !== "OK") return created;
      const link = ticketLink(config, "emailVerify", created.token, user.tenantId, redirectTo);
      ticketMail.mail("emailVerify", email, link, user, config.emailVerificationTicketTtlSeconds);
      return { status: "OK" };
    },
  };
  return ticketMail;
}
