import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
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
  return new SchemaBuilder<SchemaTypes>({ plugins: [ErrorsPlugin], errors: { defaultTypes: [] }, defaultFieldNullability: false });
}
