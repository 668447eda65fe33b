/** The package's entry for embedding: build the API from a config object and mount it. */
export { createAuth, hardeningPlugins, type Auth, type AuthOptions } from "./app.js";
export { loadConfig, ConfigError, type Config } from "./config.js";
export { GeneralError, InvalidInputError } from "./results.js";
export type { Context, Viewer } from "./context.js";
export type { Mailer, EmailMessage } from "./delivery/mailer.js";
export type { EmailTemplates } from "./delivery/email-templates.js";
export type { PasswordHasher } from "./crypto/password-hasher.js";
export type { Clock } from "./clock.js";
export type { RecipeOptions } from "./recipes/index.js";
export type { EmailPasswordApis, EmailPasswordOptions } from "./recipes/emailpassword/api.js";
export type { EmailPasswordFunctions } from "./recipes/emailpassword/service.js";
export type { SessionApis } from "./sessions/api.js";
