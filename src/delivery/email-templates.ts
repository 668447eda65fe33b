/**
 * The emails the email/password recipe sends. Each template takes the link and
 * returns subject, text and HTML; an embedder replaces any of them through the
 * `emailTemplates` option.
 */
import type { EmailMessage } from "./mailer.js";

export interface TemplateInput {
  link: string;
  email: string;
  displayName: string;
  /** Minutes until the link expires. */
  expiresInMinutes: number;
  /** For emailChanged: the address the account moved to. */
  newEmail?: string;
}

export type EmailTemplate = (input: TemplateInput) => Omit<EmailMessage, "to">;

export interface EmailTemplates {
  emailVerify: EmailTemplate;
  passwordReset: EmailTemplate;
  emailConfirmChange: EmailTemplate;
  /** A notice to the address an account left (no ticket in it). */
  emailChanged: EmailTemplate;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

function linkEmail(subject: string, intro: string, action: string): EmailTemplate {
  return ({ link, displayName, expiresInMinutes }) => {
    const greeting = displayName ? `Hello ${displayName},` : "Hello,";
    const expiry = `The link expires in ${expiresInMinutes} minutes. If you did not ask for this, ignore this email.`;
    return {
      subject,
      text: `${greeting}\n\n${intro}\n\n${link}\n\n${expiry}\n`,
      html:
        `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(intro)}</p>` +
        `<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p><p>${escapeHtml(expiry)}</p>`,
    };
  };
}

export const defaultEmailTemplates: EmailTemplates = {
  emailVerify: linkEmail("Verify your email address", "Open this link to verify your email address:", "Verify email"),
  passwordReset: linkEmail("Reset your password", "Open this link to choose a new password:", "Reset password"),
  emailConfirmChange: linkEmail("Confirm your new email address", "Open this link to make this your account's email address:", "Confirm email"),
  emailChanged: ({ link, displayName, newEmail }) => {
    const greeting = displayName ? `Hello ${displayName},` : "Hello,";
    const notice = `The email address of your account was changed to ${newEmail ?? "a new address"}. If you did not do this, reset your password from the sign-in page and contact support.`;
    return {
      subject: "Your email address was changed",
      text: `${greeting}\n\n${notice}\n\n${link}\n`,
      html: `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(notice)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    };
  },
};
