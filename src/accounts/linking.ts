/**
 * The linking rule (API.md "Accounts"), written once: what happens when a new
 * login method names an address (email or phone) that may already have an account.
 *
 * | new login method                         | no account | account, address proven | account, address not proven |
 * |------------------------------------------|------------|-------------------------|-----------------------------|
 * | proves the address (code, link, verified | CREATE     | JOIN                    | START_CLEAN                 |
 * |   provider email, password-reset link)   |            |                         |                             |
 * | does not (password or passkey sign-up,   | CREATE     | REFUSE                  | REFUSE                      |
 * |   unverified provider email, deanonymize)|  (unproven)|                         |                             |
 *
 * START_CLEAN: the account is the address owner's from now on, and nothing made
 * before the proof survives into it: every session ends; personal access tokens,
 * tickets, passkeys, TOTP devices, recovery codes, provider identities and tokens
 * and the password are removed. Only the proof's own login method remains. This
 * is the defence against account pre-hijacking (Sudhodanan and Paverd, "Pre-hijacked
 * accounts", USENIX Security 2022): an attacker who registered the victim's address
 * first, without proving it, keeps nothing once the victim signs in. We start clean
 * rather than refuse (SuperTokens refuses to link into an unverified account): a
 * refusal leaves the address squatted and the owner locked out of their own email,
 * while starting clean needs nothing of the owner but the proof they just gave.
 * The profile data stays (the account keeps its id), so an owner who simply never
 * verified their address loses only their unproven credentials, not their data.
 */

export type LinkDecision = "CREATE" | "JOIN" | "START_CLEAN" | "REFUSE";

export function linkDecision(existing: { addressProven: boolean } | null, newMethodProvesAddress: boolean): LinkDecision {
  if (!existing) return "CREATE";
  if (!newMethodProvesAddress) return "REFUSE";
  return existing.addressProven ? "JOIN" : "START_CLEAN";
}
