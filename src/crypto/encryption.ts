/**
 * AES-256-GCM sealing for secrets the server must read back (private signing
 * keys, TOTP secrets, provider tokens). Format: v1.<iv>.<tag>.<ciphertext>, base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

export interface Encrypter {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** A sub-key for another purpose (e.g. refresh-token derivation), so the master key is used once per role. */
  deriveKey(purpose: string): Buffer;
}

// NIST SP 800-38D: 96-bit IVs for GCM.
const IV_BYTES = 12;

export function createEncrypter(masterKey: Buffer): Encrypter {
  if (masterKey.length !== 32) throw new Error(`encryption key must be 32 bytes, got ${masterKey.length}`);
  const deriveKey = (purpose: string) => Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), purpose, 32));
  const key = deriveKey("aes-256-gcm seal v1");
  return {
    deriveKey,
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || ciphertext === undefined) throw new Error("sealed value is not in the v1 format");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
