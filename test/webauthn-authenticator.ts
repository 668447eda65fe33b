/**
 * A software WebAuthn authenticator on node:crypto, for driving the real
 * ceremonies end to end: it makes ES256 (P-256) or Ed25519 credentials, answers
 * `navigator.credentials.create()` with a `none` or `packed` (self) attestation
 * and `get()` with a signed assertion, in the JSON shape @simplewebauthn/browser
 * sends. Authenticator data is built byte by byte (rpIdHash, flags, counter,
 * attested credential data with a COSE key), so the server's checks see exactly
 * what a hardware key would produce; overrides bend one thing at a time for the
 * negative tests.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

type Json = Record<string, any>;

export interface StoredKey {
  id: Buffer;
  privateKey: KeyObject;
  alg: "ES256" | "Ed25519";
  rpId: string;
  userHandle: string;
  counter: number;
}

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** Sign against this challenge instead of the one in the options. */
  challenge?: string;
  type?: string;
  up?: boolean;
  uv?: boolean;
  /** Report this counter instead of the next one (e.g. a cloned key's stale counter). */
  counter?: number;
  /** Answer with this userHandle (base64url) instead of the credential's. */
  userHandle?: string | null;
  /** Use this credential (get) instead of the first one allowed. */
  credentialId?: string;
  /** Flip the backup-eligible flag. */
  backupEligible?: boolean;
  /** Register this existing key again (create) instead of making a new one. */
  key?: StoredKey;
}

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();

export class SoftAuthenticator {
  readonly keys: StoredKey[] = [];

  constructor(
    readonly settings: {
      origin: string;
      alg?: "ES256" | "Ed25519";
      attestation?: "none" | "packed";
      /** A synced passkey (BE and BS set) rather than a single-device key. */
      backupEligible?: boolean;
      /** Authenticators without a counter always report 0. */
      counterless?: boolean;
    },
  ) {}

  /** navigator.credentials.create(): a RegistrationResponseJSON for these creation options. */
  create(options: Json, overrides: CeremonyOverrides = {}): Json {
    const alg = overrides.key?.alg ?? this.settings.alg ?? "ES256";
    const { privateKey, publicKey } = overrides.key
      ? { privateKey: overrides.key.privateKey, publicKey: createPublicKey(overrides.key.privateKey) }
      : alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
    const id = overrides.key?.id ?? randomBytes(32);
    const rpId = overrides.rpId ?? options.rp.id;
    const key: StoredKey = { id, privateKey, alg, rpId: options.rp.id, userHandle: options.user.id, counter: 0 };
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, overrides);
    const attested = Buffer.concat([Buffer.alloc(16), u16(id.length), id, coseKey(publicKey, alg)]);
    const authData = this.authData(rpId, overrides, 0, FLAG.at, attested);
    const fmt = this.settings.attestation ?? "none";
    const attStmt = new Map<string, any>();
    if (fmt === "packed") {
      attStmt.set("alg", alg === "ES256" ? -7 : -8);
      attStmt.set("sig", new Uint8Array(signWith(privateKey, alg, Buffer.concat([authData, sha256(clientDataJSON)]))));
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, any>([
        ["fmt", fmt],
        ["attStmt", attStmt],
        ["authData", new Uint8Array(authData)],
      ]),
    );
    this.keys.push(key);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: "public-key",
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ["internal", "hybrid"] },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** navigator.credentials.get(): an AuthenticationResponseJSON for these request options. */
  get(options: Json, overrides: CeremonyOverrides = {}): Json {
    const allowed: string[] = (options.allowCredentials ?? []).map((credential: Json) => credential.id);
    const key = this.keys.find((candidate) =>
      overrides.credentialId
        ? b64url(candidate.id) === overrides.credentialId
        : allowed.length === 0
          ? candidate.rpId === options.rpId
          : allowed.includes(b64url(candidate.id)),
    );
    if (!key) throw new Error("no matching credential on this authenticator");
    if (!this.settings.counterless) key.counter += 1;
    const counter = overrides.counter ?? (this.settings.counterless ? 0 : key.counter);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, overrides);
    const authData = this.authData(overrides.rpId ?? options.rpId, overrides, counter, 0);
    const signature = signWith(key.privateKey, key.alg, Buffer.concat([authData, sha256(clientDataJSON)]));
    const userHandle = overrides.userHandle === undefined ? key.userHandle : overrides.userHandle;
    return {
      id: b64url(key.id),
      rawId: b64url(key.id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.settings.origin,
        crossOrigin: false,
      }),
    );
  }

  private authData(rpId: string, overrides: CeremonyOverrides, counter: number, extraFlags: number, attested?: Buffer): Buffer {
    const backup = overrides.backupEligible ?? this.settings.backupEligible ?? false;
    const flags = (overrides.up === false ? 0 : FLAG.up) | (overrides.uv === false ? 0 : FLAG.uv) | (backup ? FLAG.be | FLAG.bs : 0) | extraFlags;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

/** The credential public key in COSE_Key form (RFC 9053): EC2 P-256 or OKP Ed25519. */
function coseKey(publicKey: KeyObject, alg: "ES256" | "Ed25519"): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const bytes = (value: string | undefined) => new Uint8Array(Buffer.from(value!, "base64url"));
  const map =
    alg === "ES256"
      ? new Map<number, any>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, bytes(jwk.x)],
          [-3, bytes(jwk.y)],
        ])
      : new Map<number, any>([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, bytes(jwk.x)],
        ]);
  return Buffer.from(isoCBOR.encode(map));
}

/** ES256 signatures are DER-encoded in WebAuthn (node's default); Ed25519 ones are raw. */
function signWith(privateKey: KeyObject, alg: "ES256" | "Ed25519", data: Buffer): Buffer {
  return alg === "ES256" ? sign("sha256", data, privateKey) : sign(null, data, privateKey);
}
