import { Ajv, type ValidateFunction } from "ajv";
import type { FastifySchema } from "fastify";

/**
 * Request validation: JSON bodies are checked strictly (`{ "parallelism": "3" }`
 * is a 400, not 3), while the query string and path, which are text by
 * nature, are coerced (`?limit=10` is the integer 10). Unknown fields are a
 * 400 everywhere rather than silently dropped.
 */
export function createValidatorCompiler(): (route: { schema: FastifySchema; httpPart?: string }) => ValidateFunction {
  const strict = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false });
  const coercing = new Ajv({ coerceTypes: "array", useDefaults: true, removeAdditional: false, allErrors: false });
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : coercing).compile(schema as object);
}
