import { parse } from "yaml";

/** One OWNERS file: who may approve (`approvers`) and review (`reviewers`) the files below its directory. */
export interface OwnersFile {
  approvers: string[];
  reviewers: string[];
}

/** Parses Prow's OWNERS format; anything unreadable counts as an empty file rather than failing the PR. */
export function parseOwners(text: string): OwnersFile {
  try {
    const doc = parse(text) as { approvers?: unknown; reviewers?: unknown } | null;
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").map((x) => x.toLowerCase()) : []);
    return { approvers: list(doc?.approvers), reviewers: list(doc?.reviewers) };
  } catch {
    return { approvers: [], reviewers: [] };
  }
}

/** Directories from a file's own up to the root: `a/b/c.ts` → `a/b`, `a`, ``. */
export function ancestorDirs(file: string): string[] {
  const parts = file.split("/").slice(0, -1);
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push(parts.slice(0, i).join("/"));
  return out;
}

export interface FileApprovers {
  file: string;
  /** The nearest OWNERS file (path), undefined when none covers the file. */
  owners?: string;
  /** Approvers of the nearest OWNERS file and every one above it. */
  approvers: Set<string>;
}

/** For each changed file, the approvers that can approve it, walking up to the root. */
export async function approversOf(files: string[], ownersName: string, read: (path: string) => Promise<OwnersFile | undefined>): Promise<FileApprovers[]> {
  const cache = new Map<string, Promise<OwnersFile | undefined>>();
  const at = (dir: string) => {
    const path = dir ? `${dir}/${ownersName}` : ownersName;
    if (!cache.has(path)) cache.set(path, read(path));
    return cache.get(path)!.then((o) => (o ? { path, o } : undefined));
  };
  const out: FileApprovers[] = [];
  for (const file of files) {
    const found = (await Promise.all(ancestorDirs(file).map(at))).filter((x) => x !== undefined);
    out.push({ file, owners: found[0]?.path, approvers: new Set(found.flatMap((f) => f.o.approvers)) });
  }
  return out;
}
