/**
 * Access tokens: short-lived JWTs (RFC 9068 profile: typ "at+jwt") signed with
 * the current database key. Verification pins the algorithm, issuer, audience
 * and typ, so `alg: none`, HS256-with-the-public-key and tokens meant for
 * someone else are refused.
 */
import { jwtVerify, decodeProtectedHeader, type JWTPayload } from "jose";
import { KeyObject, sign as signWith } from "node:crypto";
import type { Clock } from "../clock.js";
import { ACCESS_TOKEN_ALG, type SigningKeys } from "./signing-keys.js";

const ACCESS_TOKEN_TYP = "at+jwt";

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  exp: number;
  /** Session id. */
  sid: string;
  /** Tenant id. */
  tid: string;
  roles: string[];
  default_role: string;
}

export interface AccessTokens {
  sign(claims: Omit<AccessTokenClaims, "iss" | "aud" | "iat" | "exp">): Promise<string>;
  /** The claims of a valid token, or null for anything else. */
  verify(token: string): Promise<AccessTokenClaims | null>;
  /** The claims of a token verify() has accepted and that has not expired yet, without waiting; undefined when it must be verified. */
  verified(token: string): AccessTokenClaims | undefined;
}

export function createAccessTokens(options: { keys: SigningKeys; clock: Clock; issuer: string; audience: string; ttlSeconds: number }): AccessTokens {
  const { keys, clock, issuer, audience, ttlSeconds } = options;
  // Verified tokens, by their exact text (signature included), until they expire:
  // a client sends the same token many times, and ES256 verification is the costly part.
  const verified = new Map<string, AccessTokenClaims>();
  const VERIFIED_CACHE_SIZE = 10_000;
  const keyObjects = new WeakMap<CryptoKey, KeyObject>();
  const verifiedBefore = (token: string) => {
    const known = verified.get(token);
    if (!known || known.exp * 1000 > clock.now().getTime()) return known;
    verified.delete(token);
    return undefined;
  };
  const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");
  return {
    /**
     * RFC 7515's compact serialisation, signed by node:crypto in place: jose's
     * WebCrypto signature costs twice the CPU (a crypto job and its promises per
     * token), on the path of every sign-in and refresh. jose verifies.
     */
    async sign(claims) {
      const { kid, key } = await keys.signingKey();
      const now = Math.floor(clock.now().getTime() / 1000);
      let keyObject = keyObjects.get(key);
      if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)));
      // The registered claims last: nothing in `claims` replaces them.
      const input = `${base64url({ alg: ACCESS_TOKEN_ALG, kid, typ: ACCESS_TOKEN_TYP })}.${base64url({ ...claims, iss: issuer, aud: audience, iat: now, exp: now + ttlSeconds })}`;
      // ES256 signatures are r || s (RFC 7518 §3.4), not DER.
      return `${input}.${signWith("sha256", Buffer.from(input), { key: keyObject, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
    },
    verified: verifiedBefore,
    async verify(token) {
      if (typeof token !== "string" || token.length > 8192) return null;
      const known = verifiedBefore(token);
      if (known) return known;
      try {
        const { kid } = decodeProtectedHeader(token);
        if (typeof kid !== "string") return null;
        const key = await keys.verificationKey(kid);
        if (!key) return null;
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer,
          audience,
          typ: ACCESS_TOKEN_TYP,
          currentDate: clock.now(),
          requiredClaims: ["sub", "sid", "exp", "iat"],
        });
        const claims = payload as AccessTokenClaims;
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, claims);
        return claims;
      } catch {
        return null;
      }
    },
  };
}
