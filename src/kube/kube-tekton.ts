import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, VersionApi, Watch, setHeaderOptions } from "@kubernetes/client-node";
import { KubeTimeoutError, kubeStatusCode } from "./kube-errors.js";
import { streamPodLog } from "./stream-pod-log.js";
import type { PipelineRunList, TektonPort, WatchHandle } from "./tekton-port.js";
import type { PipelineRun, TaskRun, WatchEventType } from "./tekton-types.js";

const tekton = { group: "tekton.dev", version: "v1" } as const;

/** TektonPort over @kubernetes/client-node. Every call is bounded by `timeoutMs`: a hung API server is an error, not a stall. */
export function kubeTekton(kc: KubeConfig, options: { timeoutMs?: number } = {}): TektonPort {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const version = kc.makeApiClient(VersionApi);
  const bounded = <T>(what: string, call: Promise<T>) => withTimeout(what, call, timeoutMs);

  return {
    async createPipelineRun(namespace, run) {
      try {
        const created = await bounded("create PipelineRun", custom.createNamespacedCustomObject({ ...tekton, namespace, plural: "pipelineruns", body: run }));
        return { created: true, run: created as PipelineRun };
      } catch (error) {
        if (kubeStatusCode(error) !== 409) throw error;
        const existing = await this.getPipelineRun(namespace, run.metadata.name);
        if (!existing) throw error;
        return { created: false, run: existing };
      }
    },
    async getPipelineRun(namespace, name) {
      try {
        return (await bounded("get PipelineRun", custom.getNamespacedCustomObject({ ...tekton, namespace, plural: "pipelineruns", name }))) as PipelineRun;
      } catch (error) {
        if (kubeStatusCode(error) === 404) return undefined;
        throw error;
      }
    },
    async listPipelineRuns(namespace, labelSelector) {
      const list = (await bounded("list PipelineRuns", custom.listNamespacedCustomObject({ ...tekton, namespace, plural: "pipelineruns", labelSelector }))) as {
        items: PipelineRun[];
        metadata?: { resourceVersion?: string };
      };
      return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "" } satisfies PipelineRunList;
    },
    async watchPipelineRuns(namespace, labelSelector, resourceVersion, onEvent, onClose): Promise<WatchHandle> {
      const path = `/apis/${tekton.group}/${tekton.version}/namespaces/${encodeURIComponent(namespace)}/pipelineruns`;
      const controller = await new Watch(kc).watch(
        path,
        { labelSelector, resourceVersion, allowWatchBookmarks: true },
        (type, object) => onEvent(type as WatchEventType, object),
        (error) => onClose(error ?? undefined),
      );
      return { stop: () => controller.abort() };
    },
    async listTaskRuns(namespace, pipelineRunName) {
      const list = (await bounded(
        "list TaskRuns",
        custom.listNamespacedCustomObject({ ...tekton, namespace, plural: "taskruns", labelSelector: `tekton.dev/pipelineRun=${pipelineRunName}` }),
      )) as { items?: TaskRun[] };
      return list.items ?? [];
    },
    async cancelPipelineRun(namespace, name) {
      try {
        await bounded(
          "cancel PipelineRun",
          custom.patchNamespacedCustomObject(
            { ...tekton, namespace, plural: "pipelineruns", name, body: { spec: { status: "Cancelled" } } },
            setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
          ),
        );
        return true;
      } catch (error) {
        if (kubeStatusCode(error) === 404) return false;
        throw error;
      }
    },
    async startPendingPipelineRun(namespace, name) {
      try {
        // A merge patch with null removes the field: Tekton starts the run.
        const body = { spec: { status: null } };
        await bounded("start PipelineRun", custom.patchNamespacedCustomObject({ ...tekton, namespace, plural: "pipelineruns", name, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)));
        return true;
      } catch (error) {
        if (kubeStatusCode(error) === 404) return false;
        throw error;
      }
    },
    async deletePipelineRun(namespace, name) {
      try {
        await bounded("delete PipelineRun", custom.deleteNamespacedCustomObject({ ...tekton, namespace, plural: "pipelineruns", name, propagationPolicy: "Background" }));
        return true;
      } catch (error) {
        if (kubeStatusCode(error) === 404) return false;
        throw error;
      }
    },
    async readSecretValues(namespace, name) {
      try {
        const secret = await bounded("read Secret", core.readNamespacedSecret({ name, namespace }));
        return Object.values(secret.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8"));
      } catch (error) {
        if (kubeStatusCode(error) === 404) return undefined;
        throw error;
      }
    },
    async streamLog(namespace, pod, container, sink, { timeoutMs, tailLines }) {
      return streamPodLog(kc, { namespace, pod, container, sink, timeoutMs, ...(tailLines !== undefined ? { tailLines } : {}) });
    },
    async readLog(namespace, pod, container, opts = {}) {
      try {
        return await bounded("read pod log", core.readNamespacedPodLog({ name: pod, namespace, container, ...opts }));
      } catch (error) {
        const code = kubeStatusCode(error);
        if (code === 404 || code === 400) return undefined;
        throw error;
      }
    },
    async ping() {
      await bounded("get version", version.getCode());
    },
  };
}

function withTimeout<T>(what: string, call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubeTimeoutError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/**
 * KUBECONFIG or ~/.kube/config or the in-cluster service account, as kubectl does. What is wrong with it is added
 * to `problems` (one line each, for the start-up message) instead of thrown.
 */
export function loadKubeConfig(problems: string[]): KubeConfig | undefined {
  const source = process.env.KUBECONFIG ? `KUBECONFIG ${process.env.KUBECONFIG}` : "the kubeconfig (~/.kube/config or in-cluster)";
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(code ? `${source} cannot be read (${code})` : `${source} is not a valid kubeconfig: ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
  if (!kc.getCurrentCluster()) {
    problems.push(`${source} names no cluster for its current context${kc.getCurrentContext() ? ` "${kc.getCurrentContext()}"` : ""}`);
    return undefined;
  }
  return kc;
}
