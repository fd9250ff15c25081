import { describe, expect, it } from "vitest";
import spec from "../../../openapi.yaml?raw";
import { ACCOUNT_LIMITS, SIGN_IN_LIMITS } from "../../src/api/limits";

const lines = spec.split("\n");
const indent = (line: string): number => line.length - line.trimStart().length;

/** The lines under `key:` (at `depth` spaces) that are indented deeper, from line `from`. */
function block(from: readonly string[], key: string, depth: number): string[] {
  const start = from.findIndex((l) => indent(l) === depth && l.trim() === `${key}:`);
  if (start < 0) throw new Error(`${key} not found in openapi.yaml`);
  const rest = from.slice(start + 1);
  const end = rest.findIndex((l) => l.trim() !== "" && indent(l) <= depth);
  return end < 0 ? rest : rest.slice(0, end);
}

/** minLength and maxLength of a string property of a schema in components.schemas. */
function lengths(schema: string, property: string): { minLength: number; maxLength: number } {
  const schemas = block(block(lines, "components", 0), "schemas", 2);
  const text = block(block(block(schemas, schema, 4), "properties", 6), property, 8).join("\n");
  const read = (name: string): number => Number(new RegExp(`\\b${name}: (\\d+)`).exec(text)?.[1]);
  return { minLength: read("minLength"), maxLength: read("maxLength") };
}

describe("credential limits", () => {
  it("are the sign-in request's", () => {
    expect(lengths("LoginRequest", "username")).toEqual(SIGN_IN_LIMITS.username);
    expect(lengths("LoginRequest", "password")).toEqual(SIGN_IN_LIMITS.password);
  });

  for (const schema of ["SetupRequest", "UserCreate", "UserUpdate"]) {
    it(`are a new account's in ${schema}`, () => {
      expect(lengths(schema, "username")).toEqual(ACCOUNT_LIMITS.username);
      expect(lengths(schema, "password")).toEqual(ACCOUNT_LIMITS.password);
    });
  }
});
