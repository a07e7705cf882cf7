import type { MarioConfig } from "../config/config-schema.js";
import { isKnownReference, templateReferences } from "../config/render-template.js";

/** Cross-field checks of `jobs:`; returns `path: problem` lines like checkConfig. */
export function checkJobs(config: MarioConfig): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.jobs.forEach((job, i) => {
    const at = `jobs[${i}]`;
    if (seen.has(job.name)) problems.push(`${at}.name: "${job.name}" is declared twice`);
    seen.add(job.name);
    if (job.name === "all") problems.push(`${at}.name: "all" is reserved (/test all runs every job)`);
    if (job.schedule !== undefined) {
      if (!job.branch) problems.push(`${at}.branch: a periodic job (schedule) needs the branch it runs on`);
      if (job.repos.length !== 1 || job.repos[0]!.endsWith("/*")) problems.push(`${at}.repos: a periodic job runs on exactly one repository ("org/repo")`);
      if (job.paths) problems.push(`${at}.paths: a periodic job has no changed files; remove paths`);
    } else if (job.branch !== undefined) {
      problems.push(`${at}.branch: only periodic jobs (with a schedule) take a branch; presubmits use branches`);
    }
    const templates: [string, string][] = Object.entries(job.pipeline.params).map(([k, v]) => [`${at}.pipeline.params.${k}`, v]);
    if ("resolver" in job.pipeline.pipelineRef) {
      for (const [k, v] of Object.entries(job.pipeline.pipelineRef.params)) templates.push([`${at}.pipeline.pipelineRef.params.${k}`, v]);
    }
    for (const [path, template] of templates) {
      for (const ref of templateReferences(template)) {
        if (!isKnownReference(ref, new Set())) problems.push(`${path}: unknown template variable {{${ref}}} (jobs take no arguments)`);
      }
    }
  });
  return problems;
}
