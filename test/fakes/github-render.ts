/**
 * Renders fake-GitHub records into JSON shaped like GitHub's REST responses (every property the OpenAPI
 * schema requires, URLs pointing at the fake: API under `<base>/api/v3`, HTML pages under `<base>`, as on
 * GitHub Enterprise Server).
 */
import type {
  AppRecord,
  CheckRunRecord,
  CommentRecord,
  FakeGitHubState,
  InstallationRecord,
  IssueRecord,
  LabelRecord,
  PullFileRecord,
  PullRequestRecord,
  ReactionRecord,
  RepoRecord,
  StatusRecord,
  UserRecord,
} from "./github-state.js";

export interface RenderContext {
  /** http://127.0.0.1:PORT */
  base: string;
  state: FakeGitHubState;
}

type Json = Record<string, unknown>;

const api = (r: RenderContext) => `${r.base}/api/v3`;

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64").replace(/=+$/, "");
}

export function renderUser(r: RenderContext, u: UserRecord): Json {
  const url = `${api(r)}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === "Bot" ? "Bot" : u.type === "Organization" ? "Organization" : "User", u.id),
    avatar_url: `${r.base}/avatars/u/${u.id}?v=4`,
    gravatar_id: "",
    url,
    html_url: u.type === "Bot" ? `${r.base}/apps/${u.login.replace(/\[bot\]$/, "")}` : `${r.base}/${u.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

/** `full-repository` when full, otherwise the `repository` shape used inside pull requests. */
export function renderRepo(r: RenderContext, repo: RepoRecord, opts: { full?: boolean; minimal?: boolean } = {}): Json {
  const url = `${api(r)}/repos/${repo.fullName}`;
  const html = `${r.base}/${repo.fullName}`;
  const host = new URL(r.base).host;
  const openIssues = [...repo.issues.values()].filter((i) => i.state === "open").length;
  const minimal: Json = {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    owner: renderUser(r, repo.owner),
    private: repo.private,
    html_url: html,
    description: repo.description,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
  };
  if (opts.minimal) return minimal;
  const repository: Json = {
    ...minimal,
    clone_url: `${html}.git`,
    git_url: `git://${host}/${repo.fullName}.git`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    svn_url: html,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: repo.defaultBranch,
    visibility: repo.private ? "private" : "public",
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    open_issues: openIssues,
    open_issues_count: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: repo.archived,
    disabled: false,
    license: null,
    pushed_at: repo.updatedAt,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    allow_forking: true,
    web_commit_signoff_required: false,
  };
  if (!opts.full) return repository;
  return {
    ...repository,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    network_count: 0,
    subscribers_count: 0,
  };
}

export function renderLabel(r: RenderContext, repo: RepoRecord, label: LabelRecord): Json {
  return {
    id: label.id,
    node_id: nodeId("Label", label.id),
    url: `${api(r)}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: label.default,
  };
}

function issueLabels(r: RenderContext, repo: RepoRecord, issue: IssueRecord): Json[] {
  return issue.labels.map((name) => {
    const label = repo.labels.get(name.toLowerCase()) ?? r.state.addLabel(repo.fullName, name);
    // Inside pull requests GitHub's schema wants a string description.
    return { ...renderLabel(r, repo, label), description: label.description ?? "" };
  });
}

function link(href: string): Json {
  return { href };
}

function authorAssociation(repo: RepoRecord, user: UserRecord): string {
  if (user.login.toLowerCase() === repo.owner.login.toLowerCase()) return "OWNER";
  const permission = repo.permissions.get(user.login.toLowerCase());
  if (permission && permission !== "none") return "COLLABORATOR";
  return "CONTRIBUTOR";
}

/** `pull-request` (GET one) or `pull-request-simple` (list) shape. */
export function renderPull(r: RenderContext, repo: RepoRecord, pr: PullRequestRecord, opts: { simple?: boolean } = {}): Json {
  const url = `${api(r)}/repos/${repo.fullName}/pulls/${pr.number}`;
  const issueUrl = `${api(r)}/repos/${repo.fullName}/issues/${pr.number}`;
  const html = `${r.base}/${repo.fullName}/pull/${pr.number}`;
  const headRepo = r.state.findRepo(pr.head.repo) ?? repo;
  const side = (ref: string, sha: string, sideRepo: RepoRecord) => ({
    label: `${sideRepo.owner.login}:${ref}`,
    ref,
    sha,
    user: renderUser(r, sideRepo.owner),
    repo: renderRepo(r, sideRepo),
  });
  const simple: Json = {
    url,
    id: pr.id,
    node_id: nodeId("PullRequest", pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api(r)}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${api(r)}/repos/${repo.fullName}/statuses/${pr.head.sha}`,
    number: pr.number,
    state: pr.state,
    locked: pr.locked,
    title: pr.title,
    user: renderUser(r, pr.user),
    body: pr.body,
    labels: issueLabels(r, repo, pr),
    milestone: null,
    active_lock_reason: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pr.head.ref, pr.head.sha, headRepo),
    base: side(pr.base.ref, pr.base.sha, repo),
    _links: {
      self: link(url),
      html: link(html),
      issue: link(issueUrl),
      comments: link(`${issueUrl}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${api(r)}/repos/${repo.fullName}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${api(r)}/repos/${repo.fullName}/statuses/${pr.head.sha}`),
    },
    author_association: authorAssociation(repo, pr.user),
    auto_merge: null,
    draft: pr.draft,
  };
  if (opts.simple) return simple;
  const additions = pr.files.reduce((n, f) => n + f.additions, 0);
  const deletions = pr.files.reduce((n, f) => n + f.deletions, 0);
  const comments = r.state.comments(repo.fullName, pr.number).length;
  return {
    ...simple,
    merged: pr.merged,
    mergeable: pr.state === "open" ? pr.mergeable : null,
    rebaseable: pr.state === "open" ? pr.mergeable : null,
    mergeable_state: pr.state === "open" ? pr.mergeableState : "unknown",
    merged_by: pr.mergedBy ? renderUser(r, pr.mergedBy) : null,
    comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: pr.commits,
    additions,
    deletions,
    changed_files: pr.files.length,
  };
}

export function renderDiffEntry(r: RenderContext, repo: RepoRecord, pr: PullRequestRecord, file: PullFileRecord): Json {
  const path = file.filename.split("/").map(encodeURIComponent).join("/");
  const entry: Json = {
    sha: r.state.newSha(),
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${r.base}/${repo.fullName}/blob/${pr.head.sha}/${path}`,
    raw_url: `${r.base}/${repo.fullName}/raw/${pr.head.sha}/${path}`,
    contents_url: `${api(r)}/repos/${repo.fullName}/contents/${path}?ref=${pr.head.sha}`,
  };
  if (file.patch !== undefined) entry.patch = file.patch;
  if (file.previous_filename !== undefined) entry.previous_filename = file.previous_filename;
  return entry;
}

function reactionRollup(r: RenderContext, repo: RepoRecord, comment: CommentRecord): Json {
  const reactions = r.state.reactions(comment.id);
  const count = (content: string) => reactions.filter((x) => x.content === content).length;
  return {
    url: `${api(r)}/repos/${repo.fullName}/issues/comments/${comment.id}/reactions`,
    total_count: reactions.length,
    "+1": count("+1"),
    "-1": count("-1"),
    laugh: count("laugh"),
    confused: count("confused"),
    heart: count("heart"),
    hooray: count("hooray"),
    eyes: count("eyes"),
    rocket: count("rocket"),
  };
}

export function renderIssueComment(r: RenderContext, repo: RepoRecord, comment: CommentRecord): Json {
  const issue = repo.issues.get(comment.issueNumber);
  const htmlKind = issue?.kind === "pull" ? "pull" : "issues";
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${api(r)}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${r.base}/${repo.fullName}/${htmlKind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api(r)}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: renderUser(r, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: authorAssociation(repo, comment.user),
    performed_via_github_app: comment.user.login === r.state.botLogin ? renderIntegration(r, r.state.app) : null,
    reactions: reactionRollup(r, repo, comment),
  };
}

export function renderReaction(r: RenderContext, reaction: ReactionRecord): Json {
  return {
    id: reaction.id,
    node_id: nodeId("Reaction", reaction.id),
    user: renderUser(r, reaction.user),
    content: reaction.content,
    created_at: reaction.createdAt,
  };
}

export function renderIntegration(r: RenderContext, app: AppRecord): Json {
  const now = "2024-01-01T00:00:00Z";
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: `Iv1.fake${app.id}`,
    owner: renderUser(r, app.owner),
    name: app.name,
    description: "Fake GitHub App",
    external_url: `${r.base}/apps/${app.slug}`,
    html_url: `${r.base}/apps/${app.slug}`,
    created_at: now,
    updated_at: now,
    permissions: { ...app.permissions },
    events: [...app.events],
    installations_count: r.state.installations.size,
  };
}

export function renderInstallation(r: RenderContext, inst: InstallationRecord): Json {
  const app = r.state.app;
  const now = "2024-01-01T00:00:00Z";
  return {
    id: inst.id,
    account: renderUser(r, inst.account),
    repository_selection: inst.repositorySelection,
    access_tokens_url: `${api(r)}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${api(r)}/installation/repositories`,
    html_url: `${r.base}/organizations/${inst.account.login}/settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: inst.account.id,
    target_type: inst.account.type === "Organization" ? "Organization" : "User",
    permissions: { ...inst.permissions },
    events: [...app.events],
    created_at: now,
    updated_at: now,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

export function renderCheckRun(r: RenderContext, repo: RepoRecord, run: CheckRunRecord): Json {
  const url = `${api(r)}/repos/${repo.fullName}/check-runs/${run.id}`;
  const pulls = r.state
    .pullRequests(repo.fullName)
    .filter((pr) => pr.head.sha === run.headSha && pr.state === "open")
    .map((pr) => ({
      id: pr.id,
      number: pr.number,
      url: `${api(r)}/repos/${repo.fullName}/pulls/${pr.number}`,
      head: { ref: pr.head.ref, sha: pr.head.sha, repo: { id: repo.id, url: `${api(r)}/repos/${repo.fullName}`, name: repo.name } },
      base: { ref: pr.base.ref, sha: pr.base.sha, repo: { id: repo.id, url: `${api(r)}/repos/${repo.fullName}`, name: repo.name } },
    }));
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId("CheckRun", run.id),
    external_id: run.externalId,
    url,
    html_url: `${r.base}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.checkSuiteId },
    app: renderIntegration(r, r.state.app),
    pull_requests: pulls,
  };
}

export function renderStatus(r: RenderContext, repo: RepoRecord, s: StatusRecord, opts: { simple?: boolean } = {}): Json {
  const body: Json = {
    url: `${api(r)}/repos/${repo.fullName}/statuses/${s.sha}`,
    avatar_url: `${r.base}/avatars/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId("StatusContext", s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
  if (!opts.simple) body.creator = renderUser(r, s.creator);
  else body.required = false;
  return body;
}

export function renderCombinedStatus(r: RenderContext, repo: RepoRecord, sha: string): Json {
  const combined = r.state.combinedStatus(repo.fullName, sha);
  return {
    state: combined.state,
    statuses: combined.statuses.map((s) => renderStatus(r, repo, s, { simple: true })),
    sha,
    total_count: combined.statuses.length,
    repository: renderRepo(r, repo, { minimal: true }),
    commit_url: `${api(r)}/repos/${repo.fullName}/commits/${sha}`,
    url: `${api(r)}/repos/${repo.fullName}/commits/${sha}/status`,
  };
}

export function renderCollaboratorPermission(r: RenderContext, user: UserRecord, permission: string, roleName: string): Json {
  return {
    permission,
    role_name: roleName,
    user: {
      ...renderUser(r, user),
      permissions: {
        admin: permission === "admin",
        maintain: roleName === "maintain" || permission === "admin",
        push: permission === "admin" || permission === "write",
        triage: roleName === "triage" || permission === "admin" || permission === "write",
        pull: permission !== "none",
      },
      role_name: roleName,
    },
  };
}
