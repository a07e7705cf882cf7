/**
 * Offline schema validation of Kubernetes manifests, like `kubeconform -strict`: each object is checked against
 * the Kubernetes OpenAPI schemas bundled in `kubernetes-models` (types, required fields, enums), and every field
 * name against the API type metadata bundled in `@kubernetes/client-node` (an unknown or misspelt field is an
 * error, as `kubectl apply --validate=strict` makes it). Nothing is downloaded.
 */
import * as kube from "@kubernetes/client-node";

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are free-form YAML until validated */
type Model = { new (data: any): { validate(): void } };

/** apiVersion → the kubernetes-models module of that group/version. */
const modules: Record<string, () => Promise<Record<string, unknown>>> = {
  v1: () => import("kubernetes-models/v1"),
  "apps/v1": () => import("kubernetes-models/apps/v1"),
  "policy/v1": () => import("kubernetes-models/policy/v1"),
  "rbac.authorization.k8s.io/v1": () => import("kubernetes-models/rbac.authorization.k8s.io/v1"),
};

type AttributeMap = { name: string; baseName: string; type: string }[];
const typeMaps = kube as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap }>;

/** Field names that are not in the API type of their object, as JSON paths. */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const attributes = typeMaps[type]?.getAttributeTypeMap?.();
  if (!attributes || typeof value !== "object" || Array.isArray(value)) return; // primitives, IntOrString, free-form
  const known = new Map(attributes.map((a) => [a.baseName, a.type]));
  for (const [key, v] of Object.entries(value)) {
    const t = known.get(key);
    if (t === undefined) out.push(`${path}.${key}: unknown field`);
    else unknownFields(v, t, `${path}.${key}`, out);
  }
}

/** Problems with one object (empty when it is valid). */
export async function validateManifest(object: any): Promise<string[]> {
  const where = `${object?.kind ?? "?"}/${object?.metadata?.name ?? "?"}`;
  const load = modules[object?.apiVersion];
  if (!load) return [`${where}: no schema for apiVersion ${object?.apiVersion}`];
  const model = (await load())[object.kind] as Model | undefined;
  if (!model) return [`${where}: no schema for kind ${object.kind} in ${object.apiVersion}`];
  const problems: string[] = [];
  try {
    new model(object).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  const version = String(object.apiVersion).split("/").pop()!;
  const typeName = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind}`;
  if (!typeMaps[typeName]?.getAttributeTypeMap) problems.push(`${where}: no type metadata for ${typeName}`);
  else unknownFields(object, typeName, where, problems);
  return problems;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
