#!/usr/bin/env node
// The one entry point: `coderun controller` or `coderun api`.
import { startApi } from './api/start.ts';
import { loadApiConfig } from './config/api.ts';
import { loadControllerConfig } from './config/controller.ts';
import { ConfigError } from './config/env.ts';
import { startController } from './controller/leader.ts';
import { KubeSandboxChannel } from './controller/sandbox-channel.ts';
import { serveController } from './controller/server.ts';
import { loadKubeConfig, makeClients } from './kube/client.ts';
import { createLogger } from './log.ts';
import { startPolicy } from './policy/index.ts';

const USAGE =
  'usage: coderun controller|api\n\nConfiguration comes from environment variables; see README.md.';

async function runControllerCommand(): Promise<void> {
  const config = loadControllerConfig(process.env);
  const log = createLogger(config.logLevel, 'coderun-controller');
  const kube = makeClients(loadKubeConfig());
  const policy = startPolicy(config.policy, log);
  const running = startController({
    kube,
    config,
    policy: policy.check,
    channel: new KubeSandboxChannel(kube),
    log,
    onLostLeadership: () => process.exit(1),
  });
  running.metrics.observe({ policy: policy.state });
  // Probes and scrapes stay answered while the controller drains, so the server closes last.
  const server = await serveController(config, running, log);
  onTermination(log, async () => {
    await running.stop();
    await policy.close();
    await server.close();
  });
}

async function runApiCommand(): Promise<void> {
  const config = loadApiConfig(process.env);
  const log = createLogger(config.logLevel, 'coderun-api');
  const kube = makeClients(loadKubeConfig());
  const policy = startPolicy(config.policy, log);
  const api = await startApi({
    config,
    kube,
    policy: policy.check,
    policyWarmedUp: policy.warmedUp(),
    policyState: policy.state,
    log,
  });
  log.info(
    {
      port: config.port,
      namespace: config.namespace,
      auth: config.token
        ? 'token'
        : config.allowUnauthenticated
          ? 'none (explicitly allowed)'
          : 'refusing: no token configured',
    },
    'api listening',
  );
  onTermination(log, async () => {
    await api.stop();
    await policy.close();
  });
}

/** SIGTERM/SIGINT: stop gracefully once, then exit. */
function onTermination(log: ReturnType<typeof createLogger>, stop: () => Promise<void>): void {
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === 'controller') return runControllerCommand();
  if (command === 'api') return runApiCommand();
  console.error(command ? `coderun: unknown command '${command}'\n${USAGE}` : USAGE);
  process.exit(2);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`coderun: ${err.message}`);
    process.exit(2);
  }
  console.error(`coderun: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
