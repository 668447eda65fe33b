/**
 * Where emailed links point: the allow-listed `redirectTo` the client asked
 * for, or a page under CLIENT_URL; the page reads `token` from the query and
 * calls verifyEmail / resetPassword. With EMAIL_LINK_TARGET=server they point at
 * this server's GET /verify, which spends the ticket and redirects (as Nhost does).
 */
import type { Config } from "../../config.js";

export const DEFAULT_PAGES = {
  emailVerify: "/verify-email",
  emailConfirmChange: "/verify-email",
  passwordReset: "/reset-password",
} as const;

export function ticketLink(config: Config, type: keyof typeof DEFAULT_PAGES, token: string, tenantId: string, redirectTo?: string | null): string {
  if (config.emailLinkTarget === "server") {
    const url = new URL(`${config.publicUrl}/verify`);
    url.searchParams.set("type", type);
    url.searchParams.set("ticket", token);
    url.searchParams.set("tenantId", tenantId);
    url.searchParams.set("redirectTo", redirectTo ?? config.clientUrl);
    return url.toString();
  }
  const url = new URL(redirectTo ?? `${config.clientUrl}${DEFAULT_PAGES[type]}`);
  url.searchParams.set("token", token);
  url.searchParams.set("type", type);
  url.searchParams.set("tenantId", tenantId);
  return url.toString();
}
