import { GraphQLError } from "graphql";

/** The GraphQL error of a field that is not a union (a list, a subscription) when there is no valid session (API.md). */
export function unauthenticated(): GraphQLError {
  return new GraphQLError("Sign in first: no valid session", { extensions: { code: "UNAUTHENTICATED", http: { status: 200 } } });
}
