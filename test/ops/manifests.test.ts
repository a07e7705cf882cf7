import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfigFile } from "../../src/config/load-config.js";
import { packageRoot } from "../../src/package-root.js";
import { workspaceSecrets } from "../../src/runs/start-run.js";
import { validateManifest } from "./support/kube-schema.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are free-form YAML */
const deploy = join(packageRoot, "deploy");

/** The objects of a kustomization, resources followed recursively (files and directories). */
function build(dir: string): { file: string; object: any }[] {
  const kustomization = parseAllDocuments(readFileSync(join(dir, "kustomization.yaml"), "utf8"))[0]!.toJSON();
  expect(kustomization.apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
  expect(kustomization.kind).toBe("Kustomization");
  const out: { file: string; object: any }[] = [];
  for (const resource of kustomization.resources as string[]) {
    const path = join(dir, resource);
    expect(existsSync(path), `${path} exists`).toBe(true);
    if (existsSync(join(path, "kustomization.yaml"))) out.push(...build(path));
    else for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) out.push({ file: path, object: { ...doc.toJSON(), metadata: { namespace: kustomization.namespace, ...doc.toJSON().metadata } } });
  }
  return out;
}

const base = build(deploy);
const redis = build(join(deploy, "redis"));
const find = (kind: string, name: string) => base.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object;
const deployments = base.filter((o) => o.object.kind === "Deployment").map((o) => o.object);

describe("deploy/ (kustomize base)", () => {
  it("every object is valid against the Kubernetes schemas, with no unknown field (offline)", async () => {
    const problems = (await Promise.all([...base, ...redis].map(async ({ file, object }) => (await validateManifest(object)).map((p) => `${file}: ${p}`)))).flat();
    expect(problems).toEqual([]);
    expect(base.map((o) => o.object.kind).sort()).toEqual(["Deployment", "Deployment", "PodDisruptionBudget", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"]);
  });

  it("the validator catches what kubectl --validate=strict would reject", async () => {
    const web = structuredClone(find("Deployment", "mario-web"));
    web.spec.template.spec.containers[0].readinesProbe = web.spec.template.spec.containers[0].readinessProbe;
    web.spec.replicas = "two";
    const problems = await validateManifest(web);
    expect(problems.join("\n")).toContain("readinesProbe: unknown field");
    expect(problems.join("\n")).toContain("must be integer");
  });

  it("runs a web and a worker Deployment with probes on /healthz and /readyz, resources, non-root and a read-only root", () => {
    expect(deployments.map((d) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === "MARIO_ROLE").value).sort()).toEqual(["web", "worker"]);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const [c] = pod.containers;
      expect(c.readinessProbe.httpGet.path).toBe("/readyz");
      expect(c.livenessProbe.httpGet.path).toBe("/healthz");
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      expect(pod.serviceAccountName).toBe("mario");
      expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
    }
    expect(find("Service", "mario").spec.selector).toEqual(find("Deployment", "mario-web").spec.selector.matchLabels);
    for (const d of deployments) {
      const pdb = base.find((o) => o.object.kind === "PodDisruptionBudget" && JSON.stringify(o.object.spec.selector.matchLabels) === JSON.stringify(d.spec.selector.matchLabels));
      expect(pdb, `a PodDisruptionBudget covers ${d.metadata.name}`).toBeDefined();
    }
  });

  it("gives the service account exactly the access mario needs: Tekton runs, pods and logs, the Secrets runs use by name; no cluster scope", () => {
    const role = find("Role", "mario");
    expect(role.rules).toEqual([
      { apiGroups: ["tekton.dev"], resources: ["pipelineruns", "taskruns"], verbs: ["create", "get", "list", "watch", "patch", "delete"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: expect.any(Array), verbs: ["get"] },
    ]);
    // The log archive masks the values of every Secret a run uses: each one config/mario.yaml names is readable
    // by name, and no other (no list or watch, which would reveal every Secret in the namespace).
    const config = loadConfigFile(join(packageRoot, "config", "mario.yaml"));
    const used = new Set([
      ...Object.values(config.commands).flatMap((c) => workspaceSecrets(c.pipeline)),
      ...config.jobs.flatMap((j) => [...workspaceSecrets(j.pipeline), ...j.maskSecrets]),
    ]);
    expect(used.size).toBeGreaterThan(0);
    expect([...role.rules[3].resourceNames].sort()).toEqual([...used].sort());
    expect(base.some((o) => /^Cluster/.test(o.object.kind))).toBe(false);
    const binding = find("RoleBinding", "mario");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "mario", namespace: "mario" }]);
    expect(binding.roleRef.name).toBe("mario");
  });

  it("reads credentials from Secrets (never literal values) and sets only variables mario reads", () => {
    const readme = readFileSync(join(packageRoot, "README.md"), "utf8");
    for (const d of deployments) {
      const [c] = d.spec.template.spec.containers;
      for (const e of c.env) {
        expect(readme, `${e.name} is documented`).toContain(`\`${e.name}\``);
        if (/SECRET|TOKEN|KEY$|APP_ID/.test(e.name)) expect(e.valueFrom?.secretKeyRef, `${e.name} comes from a Secret`).toBeDefined();
      }
      const refs = c.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef);
      expect(refs.filter((r: any) => r.name === "mario-slack").every((r: any) => r.optional === true)).toBe(true);
      expect(c.env.find((e: any) => e.name === "PRIVATE_KEY_PATH").value.startsWith(c.volumeMounts.find((m: any) => m.name === "github-app").mountPath)).toBe(true);
    }
  });

  it("ships an optional in-cluster Redis that keeps its data across restarts (append-only file)", () => {
    const d = redis.find((o) => o.object.kind === "Deployment")!.object;
    expect(d.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    const service = redis.find((o) => o.object.kind === "Service")!.object;
    const url = find("Deployment", "mario-worker").spec.template.spec.containers[0].env.find((e: any) => e.name === "REDIS_URL").value;
    expect(url).toBe(`redis://${service.metadata.name}:${service.spec.ports[0].port}`);
    expect(dirname(redis[0]!.file)).toBe(join(deploy, "redis"));
  });
});
/* eslint-enable @typescript-eslint/no-explicit-any */
