import type { Redis } from "ioredis";
import type { RepoRef } from "../github/github-port.js";
import { repoFullName, repoKey } from "../github/repo-full-name.js";
import type { SlackConfig, SubscriptionKind } from "./slack-config.js";

/** What a subscriber receives: `all` is failures (of periodic jobs), merges and a live message for every run. */
export type NotificationKind = "failures" | "merges" | "runs";

const covers = (kind: SubscriptionKind, wanted: NotificationKind) => kind === "all" || kind === wanted;

export function parseRepo(text: string): RepoRef | undefined {
  const m = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(text);
  return m ? { owner: m[1]!, name: m[2]! } : undefined;
}

/**
 * Channel bindings (`/mario bind`) and subscriptions (`/mario subscribe`) in Redis, on top of those in the
 * config. A binding made in Slack wins over the config's; subscriptions from both are combined.
 */
export function channelSettings(redis: Redis, prefix: string, config: SlackConfig) {
  const bindingKey = (channel: string) => `${prefix}slack:binding:${channel}`;
  const subsKey = (repo: string) => `${prefix}slack:subs:${repo.toLowerCase()}`;

  return {
    async boundRepo(channel: string): Promise<RepoRef | undefined> {
      const bound = (await redis.get(bindingKey(channel))) ?? config.channels.find((c) => c.channel === channel)?.repo;
      return bound ? parseRepo(bound) : undefined;
    },
    async bind(channel: string, repo: RepoRef): Promise<void> {
      await redis.set(bindingKey(channel), repoFullName(repo));
    },
    /** Returns the repository the channel was bound to in Slack, if any. */
    async unbind(channel: string): Promise<RepoRef | undefined> {
      const previous = await redis.getdel(bindingKey(channel));
      return previous ? parseRepo(previous) : undefined;
    },
    async subscribe(channel: string, repo: RepoRef, kind: SubscriptionKind): Promise<void> {
      await redis.hset(subsKey(repoFullName(repo)), channel, kind);
    },
    async unsubscribe(channel: string, repo: RepoRef): Promise<boolean> {
      return (await redis.hdel(subsKey(repoFullName(repo)), channel)) === 1;
    },
    /** Channels that want `wanted` about `repo`. */
    async subscribers(repo: RepoRef, wanted: NotificationKind): Promise<string[]> {
      const name = repoKey(repo);
      const channels = new Set<string>();
      for (const c of config.channels) {
        for (const s of c.subscribe) if (s.repo.toLowerCase() === name && s.events.some((k) => covers(k, wanted))) channels.add(c.channel);
      }
      const stored = await redis.hgetall(subsKey(name));
      for (const [channel, kind] of Object.entries(stored)) if (covers(kind as SubscriptionKind, wanted)) channels.add(channel);
      return [...channels].sort();
    },
  };
}

export type ChannelSettings = ReturnType<typeof channelSettings>;
