/**
 * The profile rules, once: the display name, avatar URL, locale and metadata a
 * user has, checked the same way at sign-up (SignUpOptions), by admins
 * (createUser, updateUser) and by the user. Fields left out are not checked.
 */
import type { FieldError } from "../results.js";
import { isText, isTextJson } from "../validation.js";

export interface ProfileInput {
  displayName?: string | null;
  avatarUrl?: string | null;
  locale?: string | null;
  metadata?: unknown;
}

export interface ProfileValues {
  displayName?: string;
  avatarUrl?: string;
  locale?: string;
  metadata?: Record<string, unknown>;
}

const MAX_DISPLAY_NAME = 200;
const MAX_AVATAR_URL = 2048;
const MAX_METADATA_BYTES = 8 * 1024;
// BCP 47 language tags, e.g. "en", "pt-BR", "zh-Hant-TW".
const LOCALE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/;

/** The given fields, checked (FieldError ids are `prefix` + field name) and normalised (display names trimmed). */
export function checkProfile(input: ProfileInput, prefix = ""): { errors: FieldError[]; values: ProfileValues } {
  const errors: FieldError[] = [];
  const values: ProfileValues = {};
  const fail = (field: string, error: string) => errors.push({ id: `${prefix}${field}`, error });
  if (input.displayName != null) {
    const displayName = input.displayName.trim();
    if (!isText(displayName)) fail("displayName", "must be text without NUL or lone surrogates");
    else if ([...displayName].length > MAX_DISPLAY_NAME) fail("displayName", `must be at most ${MAX_DISPLAY_NAME} characters`);
    else values.displayName = displayName;
  }
  if (input.avatarUrl != null) {
    const url = URL.canParse(input.avatarUrl) ? new URL(input.avatarUrl) : null;
    if (
      input.avatarUrl !== "" &&
      (input.avatarUrl.length > MAX_AVATAR_URL || !url || !["https:", "http:"].includes(url.protocol) || !isText(input.avatarUrl))
    ) {
      fail("avatarUrl", `must be an http(s) URL of at most ${MAX_AVATAR_URL} characters`);
    } else values.avatarUrl = input.avatarUrl;
  }
  if (input.locale != null) {
    if (!LOCALE.test(input.locale)) fail("locale", "must be a language tag like en or pt-BR");
    else values.locale = input.locale;
  }
  if (input.metadata != null) {
    const metadata = input.metadata;
    if (typeof metadata !== "object" || Array.isArray(metadata)) fail("metadata", "must be a JSON object");
    else if (!isTextJson(metadata)) fail("metadata", "strings must be text without NUL or lone surrogates");
    else if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) fail("metadata", `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
    else values.metadata = metadata as Record<string, unknown>;
  }
  return { errors, values };
}
