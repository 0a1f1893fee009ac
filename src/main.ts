#!/usr/bin/env node
import { loadControllerConfig } from './config/controller.ts';
// The one entry point: `coderun controller` (and, later, `coderun api`).
import { ConfigError } from './config/env.ts';
import { startController } from './controller/run.ts';
import { KubeSandboxChannel } from './controller/sandbox-channel.ts';
import { loadKubeConfig, makeClients } from './kube/client.ts';
import { createLogger } from './log.ts';
import { createPolicy } from './policy/index.ts';

const USAGE = 'usage: coderun controller\n\nConfiguration comes from environment variables; see README.md.';

async function runControllerCommand(): Promise<void> {
  const config = loadControllerConfig(process.env);
  const log = createLogger(config.logLevel, 'coderun-controller');
  const kube = makeClients(loadKubeConfig());
  const running = startController({
    kube,
    config,
    policy: createPolicy(config.policy),
    channel: new KubeSandboxChannel(kube),
    log,
    onLostLeadership: () => process.exit(1),
  });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === 'controller') return runControllerCommand();
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
