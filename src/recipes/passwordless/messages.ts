/**
 * What a passwordless sign-in sends: the code, the magic link, or both (the
 * configured flow type). Embedders replace these through `passwordless.messages`.
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

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

export const defaultPasswordlessMessages: PasswordlessMessages = {
  email({ userInputCode, link, expiresInMinutes }) {
    const lines = [
      ...(userInputCode ? [`Your sign-in code is ${userInputCode}`] : []),
      ...(link ? [`Open this link to sign in:`, link] : []),
      `It expires in ${expiresInMinutes} minutes. If you did not ask to sign in, ignore this email.`,
    ];
    return {
      subject: userInputCode ? `Your sign-in code: ${userInputCode}` : "Your sign-in link",
      text: lines.join("\n\n") + "\n",
      html:
        (userInputCode ? `<p>Your sign-in code is <strong>${escapeHtml(userInputCode)}</strong></p>` : "") +
        (link ? `<p><a href="${escapeHtml(link)}">Sign in</a></p>` : "") +
        `<p>It expires in ${expiresInMinutes} minutes. If you did not ask to sign in, ignore this email.</p>`,
    };
  },
  sms({ userInputCode, link, expiresInMinutes }) {
    return [userInputCode ? `Your sign-in code is ${userInputCode}.` : "", link ? `Sign in: ${link}` : "", `Expires in ${expiresInMinutes} min.`]
      .filter(Boolean)
      .join(" ");
  },
};
