/**
 * What a passwordless sign-in sends: the code, the magic link, or both (the
 * configured flow type). By default the recipient's language's messages
 * (delivery/email-templates.ts); embedders replace them for every language
 * through `passwordless.messages`.
 */
import type { PasswordlessFlowType } from "../../config.js";
import type { EmailMessage } from "../../delivery/mailer.js";

export interface CodeMessageInput {
  flowType: PasswordlessFlowType;
  userInputCode?: string;
  link?: string;
  expiresInMinutes: number;
}

export interface PasswordlessMessages {
  email(input: CodeMessageInput): Omit<EmailMessage, "to">;
  sms(input: CodeMessageInput): string;
}
