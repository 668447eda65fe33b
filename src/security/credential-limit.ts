/**
 * At most N credential-checking root fields per request, aliases and fragment
 * spreads included, so one HTTP request cannot multiply password or code
 * guesses (GraphQL alias-based brute force). Fields opt in with the
 * `credentialCheck` extension (schema/fields.ts).
 */
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type GraphQLSchema, type SelectionSetNode, type ValidationContext } from "graphql";

function credentialFields(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.extensions?.credentialCheck) names.add(field.name);
    }
  }
  return names;
}

export function credentialLimitRule(max: number) {
  const cache = new WeakMap<GraphQLSchema, Set<string>>();
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    let names = cache.get(schema);
    if (!names) cache.set(schema, (names = credentialFields(schema)));
    const fragments = new Map<string, FragmentDefinitionNode>(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const count = (selectionSet: SelectionSetNode, seen: Set<string>): number =>
      selectionSet.selections.reduce((sum, selection) => {
        if (selection.kind === Kind.FIELD) return sum + (names!.has(selection.name.value) ? 1 : 0);
        if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet, seen);
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) return sum; // cycles are reported by the standard rules
        return sum + count(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }, 0);
    return {
      OperationDefinition(operation) {
        const checks = count(operation.selectionSet, new Set());
        if (checks > max) {
          context.reportError(
            new GraphQLError(`at most ${max} credential-checking fields (sign-in, codes, tokens) per request, got ${checks}`, {
              nodes: [operation],
              extensions: { code: "CREDENTIAL_CHECK_LIMIT" },
            }),
          );
        }
      },
    };
  };
}
