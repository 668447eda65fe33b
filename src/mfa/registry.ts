/**
 * The factor registry: every proof beyond a first factor, as the recipes that
 * own it describe it. The core asks it which second factors a user can finish a
 * sign-in with (MfaRequired.factors), which proofs may step a session up
 * (ElevationRequiredError.factors), whether a user has turned multi-factor
 * sign-in on (User.activeMfaType) and what an admin's MFA reset removes. It
 * knows no factor by name: TOTP, recovery codes, passkeys, email and SMS codes
 * and the password register themselves (see each recipe's index.ts).
 */
import type { UserPreload, UserRow } from "../accounts/users.js";
import { Prisma } from "../generated/prisma/client.js";

/** How the first factor of a sign-in was proven: its method and amr (sessions/assurance.ts). */
export interface FirstFactorProof {
  method: string;
  amr: string[];
}

export interface Factor {
  /** "totp", "recoveryCode", "webauthn", "emailCode", "smsCode", "password". */
  id: string;
  /** Finishes a multi-factor sign-in (MfaRequired.factors). */
  secondFactor: boolean;
  /** Steps a session up (ElevationRequiredError.factors). */
  stepUp: boolean;
  /**
   * An authenticator the user enrols (a TOTP device): having one turns
   * multi-factor sign-in on for them. Addresses and passkeys do not; a
   * policy (`MFA=required`, a role) does.
   */
  turnsMfaOn?: boolean;
  /**
   * A code to an address the account has anyway (email, phone): a second factor
   * only for users without an enrolled authenticator, since the mailbox is also
   * how the password is reset.
   */
  address?: boolean;
  /**
   * Proves possession of an enrolled authenticator or key (TOTP, passkey): for a
   * user with multi-factor sign-in on, only these step a session up; a password
   * or a code to the mailbox alone would undo the second factor.
   */
  strong?: boolean;
  /** Can be set up during the sign-in that policy holds for enrolment. */
  enrolable?: boolean;
  /** Whether the first factor went through the same channel (a passkey twice, a mailbox twice is one factor). */
  sameChannelAs?(first: FirstFactorProof): boolean;
  /** Whether the user has the factor; `before`: only what the account had at that time (a session's step-up). */
  isSetUp(user: UserRow, before?: Date): Promise<boolean>;
  /**
   * isSetUp (as the account stands now) as a boolean SQL expression over the
   * user's id column, for a factor that turns MFA on: the statement that reads
   * the user at sign-in then answers activeType too (Mfa.preload).
   */
  setUpSql?(userId: Prisma.Sql): Prisma.Sql;
  /** Removes the user's factor (an admin's MFA reset); how many went. Absent for addresses. */
  reset?(user: UserRow): Promise<number>;
}

export interface Mfa {
  /** Called by each recipe's definition while the recipes are built. */
  register(factors: Factor[]): void;
  /** Every second factor this server has (authConfig.mfaFactors), within `allowed` (null: all). */
  secondFactorIds(allowed: string[] | null): string[];
  /** Every step-up proof this server has. */
  stepUpIds(): string[];
  /** The factors a user could enrol before their first session (policy `required`). */
  enrolableIds(allowed: string[] | null): string[];
  /** Whether the user enrolled an authenticator that turns multi-factor sign-in on; its id (User.activeMfaType). */
  activeType(user: UserRow): Promise<string | null>;
  /**
   * activeType as a column of a statement that reads the user (UserPreload): the
   * password sign-in reads it with the account, so that its activeType(user)
   * costs no statement. Null when a factor that turns MFA on has no SQL form.
   * Read before the password is hashed: a device whose enrolment completes in
   * those milliseconds counts from the next sign-in, as it would a moment later.
   */
  preload(): UserPreload | null;
  /** The second factors the user can finish this sign-in with. */
  secondFactors(user: UserRow, first: FirstFactorProof, allowed: string[] | null): Promise<string[]>;
  /** The proofs a session opened at `openedAt` may step up with: those the account had by then. */
  stepUpFactors(user: UserRow, openedAt: Date): Promise<string[]>;
  /** Removes the named factors (or every removable one); answers what went, by factor. */
  reset(user: UserRow, ids: string[] | null): Promise<Record<string, number>>;
  /** Whether a factor of this id is registered. */
  has(id: string): boolean;
  /** Every registered factor's id, second factors and step-up proofs (the AuthFactor enum). */
  ids(): string[];
}

const rank = (factor: Factor) => (factor.turnsMfaOn ? 0 : factor.strong ? 1 : factor.address ? 3 : 2);

export function createMfa(): Mfa {
  const factors: Factor[] = [];
  const within = (allowed: string[] | null) => (factor: Factor) => allowed === null || allowed.includes(factor.id);
  // activeType as read with a user row (preload), for that row object only: never older than the row itself.
  const preloaded = new WeakMap<UserRow, string | null>();
  let preload: UserPreload | null | undefined;
  const setUp = async (user: UserRow, candidates: Factor[], before?: Date) => {
    const answers = await Promise.all(candidates.map((factor) => factor.isSetUp(user, before)));
    return candidates.filter((_, i) => answers[i]);
  };

  return {
    register(added) {
      for (const factor of added) {
        if (factors.some((known) => known.id === factor.id)) throw new Error(`two recipes register the factor "${factor.id}"`);
        factors.push(factor);
      }
      // Listed strongest first (clients offer the first): authenticators, keys, backup codes, then codes to addresses.
      factors.sort((a, b) => rank(a) - rank(b));
      preload = undefined;
    },
    secondFactorIds: (allowed) => factors.filter((factor) => factor.secondFactor && within(allowed)(factor)).map((factor) => factor.id),
    stepUpIds: () => factors.filter((factor) => factor.stepUp).map((factor) => factor.id),
    enrolableIds: (allowed) => factors.filter((factor) => factor.enrolable && within(allowed)(factor)).map((factor) => factor.id),
    async activeType(user) {
      const known = preloaded.get(user);
      if (known !== undefined) return known;
      return (
        (
          await setUp(
            user,
            factors.filter((factor) => factor.turnsMfaOn),
          )
        )[0]?.id ?? null
      );
    },
    preload() {
      if (preload === undefined) {
        // In the order activeType tests them: the first factor set up names the type.
        const on = factors.filter((factor) => factor.turnsMfaOn);
        const userId = Prisma.raw("u.id");
        const cases = on.map((factor) => factor.setUpSql && Prisma.sql`WHEN ${factor.setUpSql(userId)} THEN ${factor.id}::text`);
        preload = cases.every((when) => when !== undefined)
          ? {
              column: cases.length > 0 ? Prisma.sql`CASE ${Prisma.join(cases, " ")} END` : Prisma.sql`NULL::text`,
              keep: (user, value) => preloaded.set(user, typeof value === "string" ? value : null),
            }
          : null;
      }
      return preload;
    },
    async secondFactors(user, first, allowed) {
      const candidates = factors.filter((factor) => factor.secondFactor && within(allowed)(factor) && !factor.sameChannelAs?.(first));
      const held = await setUp(user, candidates);
      // Codes to the account's own addresses second a sign-in only for users who enrolled no authenticator.
      const enrolled = held.some((factor) => factor.turnsMfaOn);
      return held.filter((factor) => !(enrolled && factor.address)).map((factor) => factor.id);
    },
    async stepUpFactors(user, openedAt) {
      // Whether MFA is on is today's fact; which factors count is as the account stood when the session opened.
      const [mfaOn, held] = await Promise.all([
        setUp(
          user,
          factors.filter((factor) => factor.turnsMfaOn),
        ).then((on) => on.length > 0),
        setUp(
          user,
          factors.filter((factor) => factor.stepUp),
          openedAt,
        ),
      ]);
      return held.filter((factor) => factor.strong || !mfaOn).map((factor) => factor.id);
    },
    async reset(user, ids) {
      const removed: Record<string, number> = {};
      // Backups before the authenticators they back up (removing a device also spends its recovery codes).
      for (const factor of [...factors].reverse()) {
        if (!factor.reset || (ids !== null && !ids.includes(factor.id))) continue;
        removed[factor.id] = await factor.reset(user);
      }
      return removed;
    },
    has: (id) => factors.some((factor) => factor.id === id),
    ids: () => [...new Set(factors.map((factor) => factor.id))],
  };
}
