/**
 * Signing keys for access tokens, kept in the database so every server process
 * signs with the same key and verifies every other process's tokens.
 *
 * The newest unretired key signs. When it is older than the rotation period a
 * process creates a new one; all processes converge on the newest key (ordered by
 * createdAt, then kid) and retire the older ones. A retired key stays in the JWKS
 * and keeps verifying until the last token it signed has expired, so rotation
 * logs nobody out. Private keys are sealed with the server's encryption key.
 */
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK, type CryptoKey } from "jose";
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { addSeconds } from "../clock.js";
import type { Encrypter } from "../crypto/encryption.js";
import type { PrismaClient } from "../generated/prisma/client.js";

// ES256: compact signatures, fast signing and verification, and supported by every JWT consumer we target.
export const ACCESS_TOKEN_ALG = "ES256";
// Unknown kids trigger a reload at most this often, so forged kids cannot hammer the database.
const RELOAD_INTERVAL_MS = 5_000;

interface LoadedKey {
  kid: string;
  publicKey: CryptoKey;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
  sealedPrivateKey: string;
  privateKey?: CryptoKey;
}

export interface SigningKeys {
  signingKey(): Promise<{ kid: string; key: CryptoKey }>;
  verificationKey(kid: string): Promise<CryptoKey | undefined>;
  jwks(): Promise<{ keys: JWK[] }>;
  /** Starts a new signing key now (the old one keeps verifying). */
  rotate(): Promise<void>;
}

export interface SigningKeyOptions {
  prisma: PrismaClient;
  encrypter: Encrypter;
  clock: Clock;
  rotationSeconds: number;
  /** Lifetime of the tokens a key signs: a retired key verifies this long after retirement. */
  tokenTtlSeconds: number;
  /** Told when the newest key cannot be decrypted (ENCRYPTION_KEY changed); a new key takes over. */
  onUnreadableKey?: (kid: string, error: unknown) => void;
}

export function createSigningKeys({ prisma, encrypter, clock, rotationSeconds, tokenTtlSeconds, onUnreadableKey = () => {} }: SigningKeyOptions): SigningKeys {
  let keys = new Map<string, LoadedKey>();
  let loadedAt = 0;
  let loading: Promise<void> | undefined;

  async function load(): Promise<void> {
    const rows = await prisma.signingKey.findMany({ orderBy: [{ createdAt: "desc" }, { kid: "desc" }] });
    const next = new Map<string, LoadedKey>();
    for (const row of rows) {
      const known = keys.get(row.kid);
      next.set(row.kid, {
        kid: row.kid,
        publicJwk: row.publicJwk as JWK,
        publicKey: known?.publicKey ?? ((await importJWK(row.publicJwk as JWK, row.alg)) as CryptoKey),
        privateKey: known?.privateKey,
        sealedPrivateKey: row.privateKeyEncrypted,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
        expiresAt: row.expiresAt,
      });
    }
    keys = next;
    loadedAt = Date.now();
  }

  function reload(): Promise<void> {
    loading ??= load().finally(() => (loading = undefined));
    return loading;
  }

  const newest = () => [...keys.values()].find((key) => key.retiredAt === null);

  async function createKey(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALG, use: "sig" };
    await prisma.signingKey.create({
      data: {
        kid,
        alg: ACCESS_TOKEN_ALG,
        publicJwk,
        privateKeyEncrypted: encrypter.seal(await exportPKCS8(privateKey)),
        // Strictly newer than the key it replaces, even when the clock has not moved.
        createdAt: new Date(Math.max(clock.now().getTime(), (newest()?.createdAt.getTime() ?? 0) + 1)),
      },
    });
    await reload();
    await retireOlderThan(newest()!);
  }

  async function retireOlderThan(current: LoadedKey): Promise<void> {
    const now = clock.now();
    await prisma.$executeRaw`
      UPDATE "SigningKey" SET "retiredAt" = ${now}, "expiresAt" = ${addSeconds(now, tokenTtlSeconds + 60)}
      WHERE "retiredAt" IS NULL AND ("createdAt", kid) < (${current.createdAt}, ${current.kid})`;
    await reload();
  }

  let creating: Promise<void> | undefined;
  async function ensureCurrent(): Promise<LoadedKey> {
    if (loadedAt === 0 || Date.now() - loadedAt > 60_000) await reload();
    let current = newest();
    const stale = !current || clock.now().getTime() - current.createdAt.getTime() > rotationSeconds * 1000;
    if (stale) {
      creating ??= createKey().finally(() => (creating = undefined));
      await creating;
      current = newest();
    }
    return current!;
  }

  return {
    async signingKey() {
      let current = await ensureCurrent();
      if (!current.privateKey) {
        try {
          current.privateKey = (await importPKCS8(encrypter.open(current.sealedPrivateKey), ACCESS_TOKEN_ALG)) as CryptoKey;
        } catch (error) {
          // Sealed under another ENCRYPTION_KEY: sign with a new key; the old one still verifies.
          onUnreadableKey(current.kid, error);
          creating ??= createKey().finally(() => (creating = undefined));
          await creating;
          current = newest()!;
          current.privateKey ??= (await importPKCS8(encrypter.open(current.sealedPrivateKey), ACCESS_TOKEN_ALG)) as CryptoKey;
        }
      }
      return { kid: current.kid, key: current.privateKey };
    },
    async verificationKey(kid) {
      let key = keys.get(kid);
      if (!key && Date.now() - loadedAt > RELOAD_INTERVAL_MS) {
        await reload();
        key = keys.get(kid);
      }
      if (!key || (key.expiresAt && key.expiresAt <= clock.now())) return undefined;
      return key.publicKey;
    },
    async jwks() {
      await ensureCurrent();
      const now = clock.now();
      return { keys: [...keys.values()].filter((key) => !key.expiresAt || key.expiresAt > now).map((key) => key.publicJwk) };
    },
    async rotate() {
      await reload();
      await createKey();
    },
  };
}
