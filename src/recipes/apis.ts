/** Builds each recipe's functions and APIs, with the embedder's overrides applied. */
import type { Deps } from "../deps.js";
import { createSessionApis, type SessionApis } from "../sessions/api.js";
import { createEmailPasswordApis, type EmailPasswordApis, type EmailPasswordOptions } from "./emailpassword/api.js";
import { createEmailPasswordFunctions, type EmailPasswordFunctions } from "./emailpassword/service.js";
import { applyOverride, type EnabledApis, type RecipeOverride } from "./override.js";
import { createPasswordlessApis, type PasswordlessApis, type PasswordlessOptions } from "./passwordless/api.js";
import { createPasswordlessFunctions, type PasswordlessFunctions } from "./passwordless/service.js";
import { createTotpApis, type TotpApis } from "./totp/api.js";
import { createPatApis, type PatApis } from "./pat/api.js";
import { createAnonymousApis, type AnonymousApis } from "./anonymous/api.js";
import { createPatFunctions, type PatFunctions } from "./pat/service.js";
import { createTotpFunctions, type TotpFunctions } from "./totp/service.js";
import { createThirdPartyApis, type ThirdPartyApis, type ThirdPartyOptions } from "./thirdparty/api.js";
import { createThirdPartyFunctions, type ThirdPartyFunctions } from "./thirdparty/service.js";
import { createWebauthnApis, type WebauthnApis, type WebauthnOptions } from "./webauthn/api.js";
import { createWebauthnFunctions, type WebauthnFunctions } from "./webauthn/service.js";

export interface RecipeOptions {
  emailpassword?: EmailPasswordOptions & { override?: RecipeOverride<EmailPasswordFunctions, EmailPasswordApis> };
  passwordless?: PasswordlessOptions & { override?: RecipeOverride<PasswordlessFunctions, PasswordlessApis> };
  totp?: { override?: RecipeOverride<TotpFunctions, TotpApis> };
  pat?: { override?: RecipeOverride<PatFunctions, PatApis> };
  thirdparty?: ThirdPartyOptions & { override?: RecipeOverride<ThirdPartyFunctions, ThirdPartyApis> };
  webauthn?: WebauthnOptions & { override?: RecipeOverride<WebauthnFunctions, WebauthnApis> };
  anonymous?: { override?: RecipeOverride<Record<string, never>, AnonymousApis> };
  session?: { override?: RecipeOverride<Record<string, never>, SessionApis> };
}

export interface Recipes {
  functions: {
    emailpassword: EmailPasswordFunctions;
    passwordless: PasswordlessFunctions;
    totp: TotpFunctions;
    pat: PatFunctions;
    webauthn: WebauthnFunctions;
    thirdparty: ThirdPartyFunctions;
  };
  apis: {
    session: EnabledApis<SessionApis>;
    emailpassword: EnabledApis<EmailPasswordApis>;
    passwordless: EnabledApis<PasswordlessApis>;
    totp: EnabledApis<TotpApis>;
    pat: EnabledApis<PatApis>;
    anonymous: EnabledApis<AnonymousApis>;
    webauthn: EnabledApis<WebauthnApis>;
    thirdparty: EnabledApis<ThirdPartyApis>;
  };
}

export function createRecipes(deps: Deps, options: RecipeOptions = {}): Recipes {
  const emailpassword = applyOverride(
    (self) => createEmailPasswordFunctions(deps, self),
    (functions) => createEmailPasswordApis(deps, functions, options.emailpassword),
    options.emailpassword?.override,
  );
  const passwordless = applyOverride(
    () => createPasswordlessFunctions(deps, options.passwordless),
    (functions) => createPasswordlessApis(deps, functions, options.passwordless),
    options.passwordless?.override,
  );
  const totp = applyOverride(() => createTotpFunctions(deps), (functions) => createTotpApis(deps, functions), options.totp?.override);
  const pat = applyOverride(() => createPatFunctions(deps), (functions) => createPatApis(deps, functions), options.pat?.override);
  const anonymous = applyOverride(() => ({}), () => createAnonymousApis(deps, emailpassword.functions), options.anonymous?.override);
  const webauthn = applyOverride(
    () => createWebauthnFunctions(deps),
    (functions) => createWebauthnApis(deps, functions, emailpassword.functions, options.webauthn),
    options.webauthn?.override,
  );
  const thirdparty = applyOverride(
    (self) => createThirdPartyFunctions(deps, self),
    (functions) => createThirdPartyApis(deps, functions, emailpassword.functions, options.thirdparty),
    options.thirdparty?.override,
  );
  const session = applyOverride(() => ({}), () => createSessionApis(deps), options.session?.override);
  return {
    functions: {
      emailpassword: emailpassword.functions,
      passwordless: passwordless.functions,
      totp: totp.functions,
      pat: pat.functions,
      webauthn: webauthn.functions,
      thirdparty: thirdparty.functions,
    },
    apis: {
      session: session.apis,
      emailpassword: emailpassword.apis,
      passwordless: passwordless.apis,
      totp: totp.apis,
      pat: pat.apis,
      anonymous: anonymous.apis,
      webauthn: webauthn.apis,
      thirdparty: thirdparty.apis,
    },
  };
}
