import { Log, type KubeConfig } from "@kubernetes/client-node";
import { KubeTimeoutError, kubeStatusCode } from "./kube-errors.js";

export interface StreamPodLogRequest {
  namespace: string;
  pod: string;
  container: string;
  sink: NodeJS.WritableStream;
  timeoutMs: number;
  /** Only the last lines (a live view of a long log). */
  tailLines?: number;
}

/**
 * Pipes a finished container's log into `sink` and resolves once it ended. 404/400 (pod or container gone) is
 * "gone"; a stream that does not end in time is aborted and rejected, so an archiver never hangs.
 */
export async function streamPodLog(kc: KubeConfig, req: StreamPodLogRequest): Promise<"ok" | "gone"> {
  const { sink } = req;
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    sink.once("finish", () => resolve());
    sink.once("error", reject);
  });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
      reject(new KubeTimeoutError("read pod log", req.timeoutMs));
    }, req.timeoutMs);
    timer.unref();
  });
  try {
    controller = await Promise.race([new Log(kc).log(req.namespace, req.pod, req.container, sink as never, { follow: false, ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}) }), timeout]);
    await Promise.race([ended, timeout]);
    return "ok";
  } catch (error) {
    const code = kubeStatusCode(error);
    if (code === 404 || code === 400) return "gone";
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
