/**
 * Input no resolver should ever see, refused for the whole request before
 * parsing (a 400 GraphQL error): NUL characters (PostgreSQL cannot store them,
 * in text or jsonb), strings that are not well-formed UTF-16 (lone surrogates:
 * no valid UTF-8 exists for them), and variables nested deeper than any auth
 * input needs (a 5,000-deep `metadata` would exhaust the stack downstream).
 * Length is bounded by REQUEST_BODY_LIMIT and each resolver's own checks. The
 * GraphQL plugin is in app.ts, the REST routes' check in routes.ts.
 */

const MAX_DEPTH = 32;

/** What is wrong with a value, or null. Iterative: a hostile depth cannot overflow the check itself. */
export function hostileValue(root: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === "string") {
      const problem = hostileString(value);
      if (problem) return problem;
    } else if (value !== null && typeof value === "object") {
      if (depth >= MAX_DEPTH) return `input is nested more than ${MAX_DEPTH} levels deep`;
      for (const [key, item] of Object.entries(value)) {
        const problem = hostileString(key);
        if (problem) return problem;
        stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return null;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one (String#isWellFormed, before ES2024).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hostileString(value: string): string | null {
  if (value.includes("\u0000")) return "input contains a NUL character";
  if (LONE_SURROGATE.test(value)) return "input contains invalid Unicode (a lone surrogate)";
  return null;
}
