/**
 * npm run dev:idp: a local OpenID Connect provider (the oidc-provider package, the
 * one the tests use) for trying third-party sign-in by hand. Any login name and
 * password sign in as <name>@example.com. Prints the THIRD_PARTY_PROVIDERS value
 * to start the server with.
 */
import { startOidcProvider } from "../test/oidc-provider.js";

const port = Number(process.env.IDP_PORT ?? 4010);
const publicUrl = (process.env.PUBLIC_URL ?? "http://localhost:4000").replace(/\/+$/, "");
const clientUrl = (process.env.CLIENT_URL ?? "http://localhost:3000").replace(/\/+$/, "");
const idp = await startOidcProvider([`${publicUrl}/signin/provider/local/callback`, `${clientUrl}/callback`], { port, anyAccount: true });
const providers = [{ id: "local", name: "Local IdP", issuer: idp.issuer, clientId: idp.clients.web.clientId, clientSecret: idp.clients.web.clientSecret }];
console.log(`OpenID provider at ${idp.issuer} (any login name and password sign in)\n`);
console.log(`Start the auth server with:\n\n  THIRD_PARTY_PROVIDERS='${JSON.stringify(providers)}' npm start\n`);
console.log(`then open ${publicUrl}/signin/provider/local?redirectTo=${encodeURIComponent(clientUrl)}`);
process.on("SIGINT", () => void idp.close().then(() => process.exit(0)));
process.on("SIGTERM", () => void idp.close().then(() => process.exit(0)));
