import { GraphQLError, Kind, type ValueNode } from "graphql";
import type { Builder } from "./builder.js";

function literalToJson(node: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((value) => literalToJson(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      throw new GraphQLError("JSON cannot represent this value");
  }
}

export function registerScalars(builder: Builder): void {
  builder.scalarType("JSON", {
    description: "Any JSON value.",
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: (node, variables) => literalToJson(node, variables),
  });
  builder.scalarType("DateTime", {
    description: "An ISO-8601 date and time in UTC.",
    serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
    parseValue: (value) => {
      const date = typeof value === "string" ? new Date(value) : new Date(NaN);
      if (Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO-8601 string");
      return date;
    },
  });
}
