import SchemaBuilder from "@pothos/core";
import DirectivesPlugin from "@pothos/plugin-directives";
import ErrorsPlugin from "@pothos/plugin-errors";
import FederationPlugin from "@pothos/plugin-federation";
import type { Context } from "../context.js";

export interface SchemaTypes {
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date };
  };
}

export type Types = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;
export type Builder = PothosSchemaTypes.SchemaBuilder<Types>;

/** A fresh builder per app, so each app's overrides and disabled APIs shape its own schema. */
export function createBuilder(): Builder {
  return new SchemaBuilder<SchemaTypes>({
    plugins: [ErrorsPlugin, DirectivesPlugin, FederationPlugin],
    errors: { defaultTypes: [] },
    defaultFieldNullability: false,
  });
}
