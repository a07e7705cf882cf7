/**
 * The fake API server's "etcd": objects per resource, one global resourceVersion counter, and a bounded history
 * of change events for watches. Every mutation bumps the counter and emits exactly one event; events are
 * delivered to listeners strictly in resourceVersion order, even when a listener mutates the store while
 * handling one (the nested event is queued until the current one has reached every listener).
 */

import { randomUUID } from "node:crypto";
import { clone, deepEqual, kubeTime, RESOURCES, type KubeObject, type ResourceName } from "./kube-resources.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  resource: ResourceName;
  rv: number;
  /** The object after the change (for DELETED: its last state, with the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before the change (MODIFIED only). */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  let out = "";
  for (let i = 0; i < 5; i++) out += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return out;
}

export class KubeStore {
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners: StoreListener[] = [];
  private readonly queue: StoreEvent[] = [];
  private dispatching = false;
  private rv = 0;
  /** resourceVersion of the newest event dropped from the history; watches from before it get 410. */
  private compacted = 0;

  constructor(private readonly historyLimit = 1000) {
    for (const name of Object.keys(RESOURCES) as ResourceName[]) this.objects.set(name, new Map());
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch may resume from. */
  get oldestResumable(): number {
    return this.compacted;
  }

  onEvent(listener: StoreListener): void {
    this.listeners.push(listener);
  }

  private key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ""}/${name}`;
  }

  private bucket(resource: ResourceName): Map<string, KubeObject> {
    return this.objects.get(resource)!;
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.bucket(resource).get(this.key(namespace, name));
    return obj && clone(obj);
  }

  /** Objects sorted by namespace, then name (etcd key order); all namespaces when `namespace` is undefined. */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    return [...this.bucket(resource).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => this.key(a.metadata.namespace, a.metadata.name).localeCompare(this.key(b.metadata.namespace, b.metadata.name)))
      .map(clone);
  }

  exists(resource: ResourceName, namespace: string | undefined, name: string): boolean {
    return this.bucket(resource).has(this.key(namespace, name));
  }

  /** A free name for `metadata.generateName`. */
  generateName(resource: ResourceName, namespace: string | undefined, prefix: string): string {
    for (;;) {
      const name = prefix + randomSuffix();
      if (!this.exists(resource, namespace, name)) return name;
    }
  }

  /**
   * Stores a new object (caller checked that the name is free) and fills in server-side metadata:
   * uid, resourceVersion, generation, creationTimestamp, apiVersion and kind.
   */
  create(resource: ResourceName, input: KubeObject): KubeObject {
    const def = RESOURCES[resource];
    const obj = clone(input);
    obj.apiVersion = def.apiVersion;
    obj.kind = def.kind;
    const rv = ++this.rv;
    obj.metadata = {
      ...obj.metadata,
      uid: randomUUID(),
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: kubeTime(),
    };
    delete obj.metadata.deletionTimestamp;
    this.bucket(resource).set(this.key(obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ type: "ADDED", resource, rv, object: clone(obj) });
    return clone(obj);
  }

  /**
   * Replaces an object with `next` (as produced by the caller from a fresh `get`). Nothing happens — no new
   * resourceVersion, no event — when nothing changed, like the API server. Immutable metadata is kept;
   * `metadata.generation` increases when `spec` changed.
   */
  replace(resource: ResourceName, next: KubeObject): KubeObject | undefined {
    const key = this.key(next.metadata.namespace, next.metadata.name);
    const current = this.bucket(resource).get(key);
    if (!current) return undefined;
    const obj = clone(next);
    obj.apiVersion = current.apiVersion;
    obj.kind = current.kind;
    obj.metadata = {
      ...obj.metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: current.metadata.resourceVersion,
      generation: current.metadata.generation,
    };
    if (obj.metadata.generateName === undefined) delete obj.metadata.generateName;
    if (deepEqual(obj, current)) return clone(current);
    if (!deepEqual(obj.spec, current.spec)) obj.metadata.generation = (current.metadata.generation ?? 0) + 1;
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    this.bucket(resource).set(key, obj);
    this.emit({ type: "MODIFIED", resource, rv, object: clone(obj), previous: clone(current) });
    return clone(obj);
  }

  /** Reads, lets `mutate` change a copy, and stores it (see `replace`). Undefined when the object is missing. */
  update(resource: ResourceName, namespace: string | undefined, name: string, mutate: (obj: KubeObject) => void): KubeObject | undefined {
    const obj = this.get(resource, namespace, name);
    if (!obj) return undefined;
    mutate(obj);
    return this.replace(resource, obj);
  }

  delete(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(namespace, name);
    const current = this.bucket(resource).get(key);
    if (!current) return undefined;
    this.bucket(resource).delete(key);
    const rv = ++this.rv;
    const last = clone(current);
    last.metadata.resourceVersion = String(rv);
    this.emit({ type: "DELETED", resource, rv, object: last });
    return clone(last);
  }

  /** Events after `rv` for replay; undefined when `rv` is older than the history kept (the watch gets 410). */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compacted) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Forgets the whole history, as if etcd had been compacted: every older resourceVersion now answers 410. */
  compact(): void {
    this.history.length = 0;
    this.compacted = this.rv;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.compacted = this.history.shift()!.rv;
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of this.listeners) {
          try {
            listener(next);
          } catch (error) {
            console.error("fake-kube: store listener failed", error);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}
