/**
 * Resource definitions, `Status` objects and small helpers shared by the fake Kubernetes API server.
 */

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: KubeMetadata;
  /* eslint-disable @typescript-eslint/no-explicit-any -- free-form JSON, read and written by the Tekton simulation */
  spec?: any;
  status?: any;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  [key: string]: unknown;
};

export interface KubeMetadata {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export type ResourceName = "pipelineruns" | "taskruns" | "pods" | "secrets";

export interface ResourceDef {
  resource: ResourceName;
  /** "" for the core group. */
  group: string;
  version: string;
  apiVersion: string;
  kind: string;
  listKind: string;
  /** `pipelineruns.tekton.dev`, or `pods` for the core group: how the API server names it in messages. */
  qualified: string;
  /** Custom resources: create, patch and update through the API; pods are read and deleted only. */
  writable: boolean;
}

export const RESOURCES: Record<ResourceName, ResourceDef> = {
  pipelineruns: {
    resource: "pipelineruns",
    group: "tekton.dev",
    version: "v1",
    apiVersion: "tekton.dev/v1",
    kind: "PipelineRun",
    listKind: "PipelineRunList",
    qualified: "pipelineruns.tekton.dev",
    writable: true,
  },
  taskruns: {
    resource: "taskruns",
    group: "tekton.dev",
    version: "v1",
    apiVersion: "tekton.dev/v1",
    kind: "TaskRun",
    listKind: "TaskRunList",
    qualified: "taskruns.tekton.dev",
    writable: true,
  },
  pods: {
    resource: "pods",
    group: "",
    version: "v1",
    apiVersion: "v1",
    kind: "Pod",
    listKind: "PodList",
    qualified: "pods",
    writable: false,
  },
  // Read only through the API (mario reads the values of Secrets a pipeline uses, to mask them in logs).
  secrets: {
    resource: "secrets",
    group: "",
    version: "v1",
    apiVersion: "v1",
    kind: "Secret",
    listKind: "SecretList",
    qualified: "secrets",
    writable: false,
  },
};

/** Looks a resource up by its URL group ("" = core) and plural. */
export function findResource(group: string, plural: string): ResourceDef | undefined {
  const def = (RESOURCES as Record<string, ResourceDef | undefined>)[plural];
  return def && def.group === group ? def : undefined;
}

/** RFC 3339 with second precision, as the API server writes `metav1.Time`. */
export function kubeTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Status objects (metav1.Status), as the API server answers errors.

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: unknown[]; retryAfterSeconds?: number };
  code: number;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export function reasonForCode(code: number): string {
  return REASONS[code] ?? (code >= 500 ? "InternalError" : "Unknown");
}

/** An error the request handlers throw; the server turns it into a `Status` answer. */
export class KubeHttpError extends Error {
  constructor(
    readonly status: KubeStatus,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message ?? status.reason ?? String(status.code));
    this.name = "KubeHttpError";
  }
}

export function failure(code: number, message: string, reason = reasonForCode(code), details?: KubeStatus["details"]): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function httpError(code: number, message: string, reason?: string, details?: KubeStatus["details"]): KubeHttpError {
  return new KubeHttpError(failure(code, message, reason, details));
}

function detailsOf(def: ResourceDef, name: string): KubeStatus["details"] {
  return def.group ? { name, group: def.group, kind: def.resource } : { name, kind: def.resource };
}

export function notFound(def: ResourceDef, name: string): KubeHttpError {
  return httpError(404, `${def.qualified} "${name}" not found`, "NotFound", detailsOf(def, name));
}

export function alreadyExists(def: ResourceDef, name: string): KubeHttpError {
  return httpError(409, `${def.qualified} "${name}" already exists`, "AlreadyExists", detailsOf(def, name));
}

export function conflict(def: ResourceDef, name: string): KubeHttpError {
  return httpError(
    409,
    `Operation cannot be fulfilled on ${def.qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    "Conflict",
    detailsOf(def, name),
  );
}

export function invalid(def: ResourceDef, name: string, message: string): KubeHttpError {
  return httpError(422, `${def.kind}.${def.group || "core"} "${name}" is invalid: ${message}`, "Invalid", detailsOf(def, name));
}

export function deletedStatus(def: ResourceDef, obj: KubeObject): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { ...detailsOf(def, obj.metadata.name), uid: obj.metadata.uid },
    code: 200,
  };
}
