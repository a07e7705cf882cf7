/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902), the two patch types the API server accepts for
 * custom resources. Errors are thrown as `KubeHttpError`s with the codes the API server uses.
 */

import { clone, deepEqual, httpError, isPlainObject } from "./kube-resources.js";

export const MERGE_PATCH = "application/merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}

type Op = { op: string; path: string; value?: unknown; from?: string };

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw patchError(`invalid JSON pointer "${pointer}"`, 400);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function patchError(message: string, code = 422) {
  return httpError(code, code === 400 ? message : `the server rejected our request due to an error in our request: ${message}`);
}

function child(node: unknown, token: string): unknown {
  if (Array.isArray(node)) return /^\d+$/.test(token) ? node[Number(token)] : undefined;
  if (isPlainObject(node) && Object.hasOwn(node, token)) return node[token];
  return undefined;
}

function parentOf(doc: unknown, tokens: string[], op: string): { parent: unknown; key: string } {
  let node: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    node = child(node, token);
    if (node === undefined) throw patchError(`${op} operation does not apply: doc is missing path: "/${tokens.join("/")}": missing value`);
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function arrayIndex(parent: unknown[], key: string, forInsert: boolean, path: string): number {
  if (forInsert && key === "-") return parent.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw patchError(`invalid array index "${key}" at "${path}"`);
  const index = Number(key);
  if (index > parent.length || (!forInsert && index === parent.length)) {
    throw patchError(`array index ${index} out of bounds at "${path}"`);
  }
  return index;
}

function getAt(doc: unknown, path: string, op: string): unknown {
  let node: unknown = doc;
  for (const token of parsePointer(path)) {
    node = child(node, token);
    if (node === undefined) throw patchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return node;
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens, "add");
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, clone(value));
  else if (isPlainObject(parent)) parent[key] = clone(value);
  else throw patchError(`add operation does not apply: doc is missing path: "${path}"`);
  return doc;
}

function removeAt(doc: unknown, path: string, op = "remove"): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return undefined;
  const { parent, key } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1);
  else if (isPlainObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw patchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw patchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400);
  let doc = clone(target);
  for (const raw of operations as Op[]) {
    if (!isPlainObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw patchError("invalid JSON patch operation", 400);
    }
    switch (raw.op) {
      case "add":
        doc = addAt(doc, raw.path, raw.value);
        break;
      case "remove":
        doc = removeAt(doc, raw.path);
        break;
      case "replace":
        getAt(doc, raw.path, "replace");
        doc = removeAt(doc, raw.path, "replace");
        doc = addAt(doc, raw.path, raw.value);
        break;
      case "move": {
        const value = getAt(doc, raw.from ?? "", "move");
        doc = removeAt(doc, raw.from ?? "", "move");
        doc = addAt(doc, raw.path, value);
        break;
      }
      case "copy":
        doc = addAt(doc, raw.path, getAt(doc, raw.from ?? "", "copy"));
        break;
      case "test":
        if (!deepEqual(getAt(doc, raw.path, "test"), raw.value)) {
          throw patchError(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw patchError(`Unexpected kind: ${raw.op}`, 400);
    }
  }
  return doc;
}

/** Applies a patch body of the given content type; 415 for strategic merge and server-side apply, like for CRDs. */
export function applyPatch(contentType: string, target: unknown, patch: unknown): unknown {
  switch (contentType) {
    case MERGE_PATCH:
      return mergePatch(target, patch);
    case JSON_PATCH:
      return jsonPatch(target, patch);
    default:
      throw httpError(
        415,
        `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${APPLY_PATCH}`,
        "UnsupportedMediaType",
      );
  }
}
