/**
 * Container logs behind `GET /api/v1/namespaces/{ns}/pods/{name}/log`.
 *
 * Logs live as long as their pod: a container's log is finished once the pod's status shows the container
 * terminated, and it disappears with the pod (`follow` streams then end). Query parameters: `container`
 * (optional when the pod has one container), `tailLines`, `limitBytes`, `follow`; others are ignored.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { httpError, notFound, RESOURCES, type KubeObject } from "./kube-resources.js";
import type { KubeStore } from "./kube-store.js";

interface ContainerLog {
  text: string;
  finished: boolean;
  followers: Set<Follower>;
}

interface Follower {
  res: ServerResponse;
  remainingBytes: number;
}

function podKey(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}

function containerNames(pod: KubeObject): string[] {
  const containers: unknown = pod.spec?.containers;
  return Array.isArray(containers) ? containers.map((c: { name: string }) => c.name) : [];
}

function parseCount(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) {
    throw httpError(400, `${name}: Invalid value: "${raw}": must be greater than or equal to ${min}`, "BadRequest");
  }
  return Number(raw);
}

function tail(text: string, lines: number): string {
  if (lines === 0) return "";
  const parts = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return parts.slice(-lines).join("");
}

export class LogStore {
  private readonly pods = new Map<string, Map<string, ContainerLog>>();

  constructor(private readonly store: KubeStore) {
    store.onEvent((event) => {
      if (event.resource !== "pods") return;
      const pod = event.object;
      const key = podKey(pod.metadata.namespace ?? "", pod.metadata.name);
      if (event.type === "DELETED") {
        for (const log of this.pods.get(key)?.values() ?? []) this.finish(log);
        this.pods.delete(key);
        return;
      }
      const logs = this.pods.get(key) ?? new Map<string, ContainerLog>();
      this.pods.set(key, logs);
      for (const name of containerNames(pod)) {
        if (!logs.has(name)) logs.set(name, { text: "", finished: false, followers: new Set() });
      }
      const statuses: unknown = pod.status?.containerStatuses;
      if (Array.isArray(statuses)) {
        for (const s of statuses as { name: string; state?: { terminated?: unknown } }[]) {
          const log = logs.get(s.name);
          if (log && s.state?.terminated) this.finish(log);
        }
      }
    });
  }

  /** Appends `text` to a container's log (a newline is added when missing). Throws when pod or container is unknown. */
  append(namespace: string, pod: string, container: string, text: string): void {
    const log = this.pods.get(podKey(namespace, pod))?.get(container);
    if (!log) throw new Error(`fake-kube: no container "${container}" in pod ${namespace}/${pod}`);
    const chunk = text.endsWith("\n") ? text : text + "\n";
    log.text += chunk;
    for (const follower of log.followers) this.send(log, follower, chunk);
  }

  /** Ends every `follow` stream cleanly (server shutdown). */
  endAllFollowers(): void {
    this.forEachFollower((res) => res.end());
  }

  /** Cuts every `follow` stream abruptly (server outage). */
  dropAllFollowers(): void {
    this.forEachFollower((res) => {
      res.socket?.destroy();
      res.destroy();
    });
  }

  private forEachFollower(action: (res: ServerResponse) => void): void {
    for (const logs of this.pods.values()) {
      for (const log of logs.values()) {
        for (const follower of log.followers) action(follower.res);
        log.followers.clear();
      }
    }
  }

  serve(req: IncomingMessage, res: ServerResponse, namespace: string, podName: string, query: URLSearchParams): void {
    const pod = this.store.get("pods", namespace, podName);
    if (!pod) throw notFound(RESOURCES.pods, podName);
    const names = containerNames(pod);
    let container = query.get("container") ?? "";
    if (container === "") {
      if (names.length !== 1) {
        throw httpError(400, `a container name must be specified for pod ${podName}, choose one of: [${names.join(" ")}]`, "BadRequest");
      }
      container = names[0]!;
    }
    const log = this.pods.get(podKey(namespace, podName))?.get(container);
    if (!names.includes(container) || !log) {
      throw httpError(400, `container ${container} is not valid for pod ${podName}`, "BadRequest");
    }
    const tailLines = parseCount(query, "tailLines", 0);
    const limitBytes = parseCount(query, "limitBytes", 1);
    const follow = query.get("follow") === "true" || query.get("follow") === "1";

    let body = Buffer.from(tailLines === undefined ? log.text : tail(log.text, tailLines));
    if (limitBytes !== undefined) body = body.subarray(0, limitBytes);
    const remainingBytes = limitBytes === undefined ? Infinity : limitBytes - body.length;

    if (!follow || log.finished || remainingBytes <= 0) {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    if (body.length > 0) res.write(body);
    const follower: Follower = { res, remainingBytes };
    log.followers.add(follower);
    const forget = () => log.followers.delete(follower);
    req.on("close", forget);
    res.on("close", forget);
  }

  private send(log: ContainerLog, follower: Follower, chunk: string): void {
    let bytes = Buffer.from(chunk);
    if (bytes.length > follower.remainingBytes) bytes = bytes.subarray(0, follower.remainingBytes);
    follower.remainingBytes -= bytes.length;
    if (!follower.res.writableEnded) follower.res.write(bytes);
    if (follower.remainingBytes <= 0) {
      follower.res.end();
      log.followers.delete(follower);
    }
  }

  private finish(log: ContainerLog): void {
    log.finished = true;
    for (const follower of log.followers) follower.res.end();
    log.followers.clear();
  }
}
