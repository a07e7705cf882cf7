import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed, expiring log links. A token is `<expiry seconds>.<HMAC-SHA256(key, "ns/name:expiry") base64url>`; it is
 * derived from the run's creation time, so every rendering of the same run carries the same link (a changed
 * link would make mario edit the check run again). Only links to private repositories need one.
 */
export interface LogLinks {
  /** The token for a run created at `createdAt` (ISO time). */
  sign(namespace: string, name: string, createdAt: string): string;
  /** "ok", "expired" (well signed, too old) or "invalid". */
  verify(namespace: string, name: string, token: string | null | undefined, now?: number): "ok" | "expired" | "invalid";
  readonly ttlHours: number;
}

export function logLinks(key: string, ttlHours: number): LogLinks {
  const mac = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url");
  return {
    ttlHours,
    sign(namespace, name, createdAt) {
      const created = Date.parse(createdAt);
      const expires = Math.floor((Number.isFinite(created) ? created : Date.now()) / 1000) + ttlHours * 3600;
      return `${expires}.${mac(`${namespace}/${name}:${expires}`)}`;
    },
    verify(namespace, name, token, now = Date.now()) {
      const m = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token ?? "");
      if (!m) return "invalid";
      const expected = Buffer.from(mac(`${namespace}/${name}:${m[1]}`));
      const given = Buffer.from(m[2]!);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "invalid";
      return Number(m[1]) * 1000 < now ? "expired" : "ok";
    },
  };
}

/** The link key: MARIO_LOG_LINK_KEY, else one derived from the webhook secret (shared by every replica already). */
export function logLinkKey(explicit: string | undefined, webhookSecret: string): string {
  return explicit ?? createHmac("sha256", webhookSecret).update("mario log links v1").digest("hex");
}
