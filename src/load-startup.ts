import type { KubeConfig } from "@kubernetes/client-node";
import type { MarioConfig } from "./config/config-schema.js";
import { ConfigError, defaultConfigPath, loadConfigFile } from "./config/load-config.js";
import { loadKubeConfig } from "./kube/kube-tekton.js";
import { loadSettings, SettingsError, type Settings } from "./settings.js";

export interface Startup {
  settings: Settings;
  config: MarioConfig;
  kubeConfig: KubeConfig;
}

/**
 * Everything `npm start` needs before it runs: the environment, the config file and the kubeconfig. Each is
 * checked even when another is wrong, so one SettingsError lists every problem at once. Like kubectl, the
 * kubeconfig is found through the process's own environment (KUBECONFIG, ~/.kube/config, in-cluster).
 */
export function loadStartup(env: NodeJS.ProcessEnv = process.env): Startup {
  const problems: string[] = [];
  let settings: Settings | undefined;
  let config: MarioConfig | undefined;
  try {
    settings = loadSettings(env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    problems.push(...error.problems);
  }
  try {
    config = loadConfigFile(env.MARIO_CONFIG || defaultConfigPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const file = env.MARIO_CONFIG ? `MARIO_CONFIG ${error.file}` : `config ${error.file}`;
    problems.push(...error.problems.map((p) => `${file}: ${p}`));
  }
  const kubeConfig = loadKubeConfig(problems);
  if (!settings || !config || !kubeConfig || problems.length > 0) throw new SettingsError(problems);
  return { settings, config, kubeConfig };
}
