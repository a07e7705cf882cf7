import type { RepoRef } from "./github-port.js";

/** `owner/name`, as GitHub writes a repository's full name. */
export const repoFullName = (repo: RepoRef) => `${repo.owner}/${repo.name}`;

/** The full name in lower case: GitHub matches owner and repository names whatever their case, so mario does too. */
export const repoKey = (repo: RepoRef) => repoFullName(repo).toLowerCase();
