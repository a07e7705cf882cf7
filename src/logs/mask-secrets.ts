/** Replaces every occurrence of a secret value with `***`. Values shorter than 4 characters are not masked (they would mask ordinary text). */
export type Masker = (text: string) => string;

const minLength = 4;

/** The strings worth masking in one secret value: the value, its lines, and the string leaves of JSON (docker config). */
function maskable(value: string): string[] {
  const out = [value, value.trim(), ...value.split(/\r?\n/).map((l) => l.trim())];
  try {
    const walk = (v: unknown): void => {
      if (typeof v === "string") out.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(JSON.parse(value));
  } catch {
    // not JSON
  }
  return out;
}

export function createMasker(values: string[]): Masker {
  const secrets = [...new Set(values.flatMap(maskable))].filter((v) => v.length >= minLength).sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("***");
    return out;
  };
}
