import argon2 from "argon2";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of one verification, for unknown accounts (no user enumeration by timing). */
  burn(password: string): Promise<void>;
}

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
export const OWASP_ARGON2ID = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function createArgon2Hasher(options: Partial<typeof OWASP_ARGON2ID> = {}): PasswordHasher {
  const params = { ...OWASP_ARGON2ID, ...options };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, params),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash never verifies
      }
    },
    async burn(password) {
      dummy ??= argon2.hash("dummy password for unknown accounts", params);
      await argon2.verify(await dummy, password).catch(() => false);
    },
  };
}
