// What a Docker engine and a kind cluster can change on this machine, read from the host, so the kind tier
// can prove `make down` on kind leaves the host as it found it: the firewall's built-in chain policies and any
// rule of Docker's, bridges Docker made (docker0, br-<network>) and links enslaved to them, mounts below the
// engine's directories, the engine's processes, and IP forwarding.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const run = (file: string, args: string[]): string => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
};

const lines = (text: string, keep: (line: string) => boolean): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && keep(l))
    .sort();

/** Docker's marks in the firewall: a chain or rule named for Docker or one of its bridges. */
const DOCKER_RULE = /DOCKER|\bbr-[0-9a-f]{12}\b|docker0/;
/** The engine hack/kind-engine.sh runs: its run and data directories, or a system Docker's. */
const ENGINE_PATH = /coderun-kind|docker-data|\/var\/lib\/docker\b/;

export interface HostState {
  chainPolicies: string[];
  dockerRules: string[];
  bridges: string[];
  mounts: string[];
  engineProcesses: string[];
  ipForward: string;
}

/** "<family> <table> :<CHAIN> <POLICY>" for every built-in chain: counters move all the time and are left out. */
function chainPolicies(family: string, save: string): string[] {
  let table = '';
  const policies: string[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const policy = /^(:(?:INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) \S+)/.exec(line);
    if (policy) policies.push(`${family} ${table} ${policy[1]}`);
  }
  return policies.sort();
}

export function hostState(): HostState {
  const v4 = run('iptables-save', []);
  const v6 = run('ip6tables-save', []);
  return {
    chainPolicies: [...chainPolicies('ipv4', v4), ...chainPolicies('ipv6', v6)],
    dockerRules: lines(`${v4}\n${v6}`, (l) => DOCKER_RULE.test(l)),
    bridges: lines(run('ip', ['-o', 'link', 'show']), (l) =>
      / (docker0|br-[0-9a-f]{12})[:@]|master (docker0|br-)/.test(l),
    ).map((l) => l.split(':')[1]?.trim() ?? l),
    mounts: lines(readFileSync('/proc/self/mounts', 'utf8'), (l) => ENGINE_PATH.test(l.split(' ')[1] ?? '')),
    engineProcesses: lines(
      run('ps', ['-eo', 'pid=,args=']),
      (l) => /\b(dockerd|docker-proxy)\b/.test(l) && !/\bps\b/.test(l),
    ),
    ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
  };
}
