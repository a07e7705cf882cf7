/**
 * Label and field selectors with the API server's grammar:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`, comma-separated (AND).
 * Field selectors accept only `=`, `==` and `!=` on a few supported fields.
 */

import { httpError, type KubeObject } from "./kube-resources.js";

export type Requirement =
  | { key: string; op: "=" | "!="; values: [string] }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists"; values: [] }
  | { key: string; op: "gt" | "lt"; values: [string] };

export type Selector = Requirement[];

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

function bad(selector: string, why: string): Error {
  return httpError(400, `unable to parse requirement: ${why} in selector "${selector}"`, "BadRequest");
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) throw bad(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (value.length > 63 || !VALUE.test(value)) throw bad(selector, `invalid label value: "${value}"`);
  return value;
}

/** Parses a label selector; throws a 400 `KubeHttpError` like the API server on bad syntax. */
export function parseLabelSelector(selector: string | undefined): Selector {
  if (selector === undefined || selector.trim() === "") return [];
  const out: Requirement[] = [];
  for (const term of splitTerms(selector)) {
    if (term === "") throw bad(selector, "found '', expected: identifier");
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s(]+?)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      if (m[3]!.trim() === "") throw bad(selector, "for 'in', 'notin' operators, values set can't be empty");
      const values = m[3]!.split(",").map((v) => checkValue(selector, v.trim()));
      out.push({ key: checkKey(selector, m[1]!), op: m[2] as "in" | "notin", values });
    } else if ((m = term.match(/^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      out.push({ key: checkKey(selector, m[1]!), op: m[2] === "!=" ? "!=" : "=", values: [checkValue(selector, m[3]!)] });
    } else if ((m = term.match(/^([^=!<>\s]+)\s*([<>])\s*(-?\d+)$/))) {
      out.push({ key: checkKey(selector, m[1]!), op: m[2] === ">" ? "gt" : "lt", values: [m[3]!] });
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      out.push({ key: checkKey(selector, m[1]!), op: "!exists", values: [] });
    } else if ((m = term.match(/^(\S+)$/))) {
      out.push({ key: checkKey(selector, m[1]!), op: "exists", values: [] });
    } else {
      throw bad(selector, `unexpected term "${term}"`);
    }
  }
  return out;
}

export function matchesRequirements(selector: Selector, get: (key: string) => string | undefined): boolean {
  return selector.every((req) => {
    const value = get(req.key);
    switch (req.op) {
      case "=":
        return value === req.values[0];
      case "!=":
        return value !== req.values[0];
      case "in":
        return value !== undefined && req.values.includes(value);
      case "notin":
        return value === undefined || !req.values.includes(value);
      case "exists":
        return value !== undefined;
      case "!exists":
        return value === undefined;
      case "gt":
      case "lt": {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        const n = Number(value);
        const bound = Number(req.values[0]);
        return req.op === "gt" ? n > bound : n < bound;
      }
    }
  });
}

export function matchesLabels(selector: Selector, labels: Record<string, string> | undefined): boolean {
  return matchesRequirements(selector, (key) => (labels && Object.hasOwn(labels, key) ? labels[key] : undefined));
}

// ---------------------------------------------------------------------------------------------------------------
// Field selectors

const FIELDS: Record<string, (obj: KubeObject) => string | undefined> = {
  "metadata.name": (o) => o.metadata.name,
  "metadata.namespace": (o) => o.metadata.namespace,
  "status.phase": (o) => (typeof o.status?.phase === "string" ? o.status.phase : ""),
  "spec.nodeName": (o) => (typeof o.spec?.nodeName === "string" ? o.spec.nodeName : ""),
};

const POD_ONLY = new Set(["status.phase", "spec.nodeName"]);

export type FieldSelector = { field: string; op: "=" | "!="; value: string }[];

export function parseFieldSelector(selector: string | undefined, isPod: boolean): FieldSelector {
  if (selector === undefined || selector.trim() === "") return [];
  return splitTerms(selector).map((term) => {
    const m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw httpError(400, `invalid selector: '${selector}'; can't understand '${term}'`, "BadRequest");
    const field = m[1]!;
    if (!FIELDS[field] || (!isPod && POD_ONLY.has(field))) {
      throw httpError(400, `field label not supported: ${field}`, "BadRequest");
    }
    return { field, op: m[2] === "!=" ? "!=" : "=", value: m[3]!.trim() };
  });
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  return selector.every(({ field, op, value }) => {
    const actual = FIELDS[field]!(obj) ?? "";
    return op === "=" ? actual === value : actual !== value;
  });
}

/** A compiled label + field selector. */
export interface ObjectFilter {
  labels: Selector;
  fields: FieldSelector;
}

export function compileFilter(labelSelector: string | undefined, fieldSelector: string | undefined, isPod: boolean): ObjectFilter {
  return { labels: parseLabelSelector(labelSelector), fields: parseFieldSelector(fieldSelector, isPod) };
}

export function matchesFilter(filter: ObjectFilter, obj: KubeObject): boolean {
  return matchesLabels(filter.labels, obj.metadata.labels) && matchesFields(filter.fields, obj);
}
