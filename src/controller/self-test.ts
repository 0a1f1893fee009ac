// The isolation self-test: a fixed Python program that looks at its own sandbox from the inside, the CodeRun
// that carries it, and the judge of what it returns. Pure; isolation-self-test.ts runs it and publishes.
import type { CodeRun, CodeRunSpec } from '../coderun/schema.ts';
import type { SelfTestReason } from '../coderun/self-test-status.ts';
import type { PolicyVerdict } from '../policy/types.ts';
import { SANDBOX_UID } from './sandbox-pod.ts';

/** The label the controller puts on its probe runs; with the exact probe source it exempts them from the policy. */
export const SELF_TEST_LABEL = 'coderun.dev/origin';
export const SELF_TEST_LABEL_VALUE = 'self-test';

/** gVisor reports a fixed synthetic kernel (4.4.0 in older releases, 4.19.0-gvisor now), never the host's. */
export const GVISOR_KERNEL = /^4\.(4\.0|19\.0-gvisor)$/;

/** At most this many addresses are tried, so the probe's run time stays bounded whatever it is given. */
export const MAX_PROBE_TARGETS = 4;
const PROBE_TIMEOUT_SECONDS = 30;

/**
 * The probe. It uses nothing but the standard library and no native code: the runner's own guards refuse
 * ctypes with EPERM, which would pass for the seccomp profile's answer. The seccomp check creates an
 * AF_VSOCK socket: the profile allows only AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK sockets (EPERM for
 * any other family), and gVisor itself answers EAFNOSUPPORT for AF_VSOCK (measured with runsc, with and
 * without --oci-seccomp), so EPERM can only come from an enforced profile.
 */
export const PROBE_SOURCE = `# coderun isolation self-test: what this sandbox lets a program see and do.
import errno
import os
import platform
import socket
import time

AF_VSOCK = 40
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def error_name(number):
    return errno.errorcode.get(number, str(number))


def attempt(check, *args):
    try:
        return check(*args)
    except Exception as error:
        return {"error": "%s: %s" % (type(error).__name__, error)}


def kernel():
    with open("/proc/version") as f:
        version = f.read().strip()
    return {"release": platform.release(), "version": version[:200]}


def seccomp():
    try:
        socket.socket(AF_VSOCK, socket.SOCK_STREAM).close()
        return {"call": "socket(AF_VSOCK)", "errno": None}
    except OSError as error:
        return {"call": "socket(AF_VSOCK)", "errno": error_name(error.errno)}


def connect(host, port):
    started = time.monotonic()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        outcome = "connected"
    except socket.timeout:
        outcome = "timeout"
    except OSError as error:
        outcome = error_name(error.errno) if error.errno else type(error).__name__
    finally:
        s.close()
    return {"target": "%s:%d" % (host, port), "outcome": outcome,
            "ms": round((time.monotonic() - started) * 1000)}


def network(targets):
    return [attempt(connect, str(host), int(port)) for host, port in targets[:${MAX_PROBE_TARGETS}]]


def service_account():
    return {"mounted": os.path.exists(SERVICE_ACCOUNT_DIR),
            "token": os.path.exists(os.path.join(SERVICE_ACCOUNT_DIR, "token"))}


def identity():
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
            "capEff": status.get("CapEff"), "capBnd": status.get("CapBnd")}


def main(targets):
    return {
        "kernel": attempt(kernel),
        "seccomp": attempt(seccomp),
        "network": attempt(network, targets),
        "serviceAccount": attempt(service_account),
        "identity": attempt(identity),
    }
`;

export interface ProbeTarget {
  host: string;
  port: number;
}

/** The spec of a probe run: the probe, the addresses it must not reach, a short timeout. */
export function probeSpec(targets: readonly ProbeTarget[]): CodeRunSpec {
  return {
    language: 'python',
    source: PROBE_SOURCE,
    arguments: { targets: targets.slice(0, MAX_PROBE_TARGETS).map((t) => [t.host, t.port]) },
    timeoutSeconds: PROBE_TIMEOUT_SECONDS,
  };
}

/** The address of the API server the controller talks to (a kubeconfig `server` URL), for the probe to try. */
export function apiServerTarget(server: string | undefined): ProbeTarget | null {
  if (!server) return null;
  try {
    const url = new URL(server);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return host ? { host, port } : null;
  } catch {
    return null;
  }
}

function isProbeArguments(args: unknown): boolean {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return false;
  const keys = Object.keys(args);
  if (keys.length !== 1 || keys[0] !== 'targets') return false;
  const targets = (args as { targets: unknown }).targets;
  return (
    Array.isArray(targets) &&
    targets.length <= MAX_PROBE_TARGETS &&
    targets.every(
      (t) =>
        Array.isArray(t) &&
        t.length === 2 &&
        typeof t[0] === 'string' &&
        t[0].length <= 253 &&
        Number.isInteger(t[1]) &&
        t[1] > 0 &&
        t[1] < 65_536,
    )
  );
}

/**
 * Whether the controller skips the static policy for this run: only the controller's own probe, that is the
 * self-test label AND exactly the built-in source and argument shape. The label alone exempts nothing, so
 * anyone who can create CodeRuns can at most run this fixed program, which only looks and connects.
 */
export function exemptFromPolicy(run: CodeRun): boolean {
  return (
    run.metadata.labels?.[SELF_TEST_LABEL] === SELF_TEST_LABEL_VALUE &&
    run.spec.language === 'python' &&
    run.spec.source === PROBE_SOURCE &&
    isProbeArguments(run.spec.arguments)
  );
}

/** What the controller decides in place of the policy for its own probe. */
export const PROBE_VERDICT: PolicyVerdict = { allowed: true, findings: [] };

export type CheckName =
  | 'gvisor-kernel'
  | 'seccomp'
  | 'no-network'
  | 'no-service-account-token'
  | 'non-root'
  | 'no-capabilities';

export const CHECK_NAMES: readonly CheckName[] = [
  'gvisor-kernel',
  'seccomp',
  'no-network',
  'no-service-account-token',
  'non-root',
  'no-capabilities',
];

export interface CheckResult {
  name: CheckName;
  passed: boolean;
  /** What the probe saw. */
  detail: string;
  /** How to fix a failed check. */
  fix?: string;
}

export interface SelfTestVerdict {
  passed: boolean;
  reason: SelfTestReason;
  message: string;
  /** Empty when the probe did not run to the end. */
  checks: CheckResult[];
}

export const FIXES: Record<CheckName, string> = {
  'gvisor-kernel':
    'sandbox Pods must run under gVisor: set CODERUN_RUNTIME_CLASS (sandbox.runtimeClassName) to a RuntimeClass whose handler is runsc',
  seccomp:
    "the node's runsc is not configured with oci-seccomp = true, so gVisor ignores the Pod's seccomp profile: set oci-seccomp = \"true\" under [runsc_config] in the runsc config (/etc/coderun/runsc.toml, see hack/cluster/runsc.toml and README \"Installing it\"), or let containerd pass the Pod's dev.gvisor.flag.oci-seccomp annotation (pod_annotations = ['dev.gvisor.*'] in the runsc handler, hack/cluster/containerd-runsc.toml); and keep CODERUN_SECCOMP_PROFILE (sandbox.seccompProfile) set",
  'no-network':
    'set network = "none" under [runsc_config] in the node\'s runsc config (hack/cluster/runsc.toml), or use a CNI that enforces the sandbox namespace\'s deny-all NetworkPolicy (sandbox.networkPolicy.enabled)',
  'no-service-account-token':
    'sandbox Pods must not mount a service-account token (automountServiceAccountToken: false): look for an admission webhook that adds one',
  'non-root':
    'sandbox Pods must run as user 65534: look for an admission webhook or a runtime that changes runAsUser',
  'no-capabilities':
    'sandbox containers must drop all capabilities: look for an admission webhook or a runtime that adds some',
};

type Probe = Record<string, unknown>;

const record = (v: unknown): Probe | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Probe) : null;

/** An error the probe caught while looking, or null. */
const probeError = (part: Probe | null): string | null =>
  part && typeof part.error === 'string' ? part.error : null;

function check(name: CheckName, passed: boolean, detail: string): CheckResult {
  return passed ? { name, passed, detail } : { name, passed, detail, fix: FIXES[name] };
}

function kernelCheck(value: Probe): CheckResult {
  const part = record(value.kernel);
  const error = probeError(part);
  if (!part || error) return check('gvisor-kernel', false, `the probe could not read the kernel: ${error}`);
  const release = String(part.release ?? '');
  const version = String(part.version ?? '');
  const passed = GVISOR_KERNEL.test(release) && version.includes(release);
  return check('gvisor-kernel', passed, `kernel release ${release} (${version})`);
}

function seccompCheck(value: Probe): CheckResult {
  const part = record(value.seccomp);
  const error = probeError(part);
  if (!part || error) return check('seccomp', false, `the probe could not try a denied call: ${error}`);
  const call = String(part.call ?? 'a denied call');
  if (part.errno === 'EPERM') return check('seccomp', true, `${call} failed with EPERM`);
  const got = part.errno === null || part.errno === undefined ? 'succeeded' : `failed with ${part.errno}`;
  return check('seccomp', false, `${call} ${got}, not EPERM: the seccomp profile is not enforced`);
}

function networkCheck(value: Probe): CheckResult {
  const attempts = value.network;
  const error = probeError(record(attempts));
  if (!Array.isArray(attempts) || error)
    return check('no-network', false, `the probe could not try the network: ${error}`);
  if (attempts.length === 0) return check('no-network', false, 'the probe was given no address to try');
  const seen = attempts.map((a) => {
    const r = record(a);
    if (!r || probeError(r)) return { text: `error (${probeError(r)})`, reached: false, failed: true };
    const reached = r.outcome === 'connected';
    return { text: `${r.target}: ${reached ? 'connected' : r.outcome}`, reached, failed: false };
  });
  const detail = seen.map((s) => s.text).join(', ');
  if (seen.some((s) => s.reached))
    return check('no-network', false, `the sandbox reached the network: ${detail}`);
  if (seen.some((s) => s.failed))
    return check('no-network', false, `the probe could not try every address: ${detail}`);
  return check('no-network', true, `no connection: ${detail}`);
}

function serviceAccountCheck(value: Probe): CheckResult {
  const part = record(value.serviceAccount);
  const error = probeError(part);
  if (!part || error)
    return check('no-service-account-token', false, `the probe could not look for a token: ${error}`);
  return part.mounted === false && part.token === false
    ? check('no-service-account-token', true, 'no /var/run/secrets/kubernetes.io/serviceaccount')
    : check(
        'no-service-account-token',
        false,
        `a service-account token is mounted at /var/run/secrets/kubernetes.io/serviceaccount`,
      );
}

const ZERO_CAPS = /^0+$/;

function identityChecks(value: Probe): CheckResult[] {
  const part = record(value.identity);
  const error = probeError(part);
  if (!part || error) {
    const detail = `the probe could not read its identity: ${error}`;
    return [check('non-root', false, detail), check('no-capabilities', false, detail)];
  }
  const { uid, euid, gid, capEff, capBnd } = part;
  const nonRoot = uid === SANDBOX_UID && euid === SANDBOX_UID;
  const zero = (caps: unknown) => typeof caps === 'string' && ZERO_CAPS.test(caps);
  return [
    check('non-root', nonRoot, `uid ${uid}, euid ${euid}, gid ${gid}`),
    check('no-capabilities', zero(capEff) && zero(capBnd), `CapEff ${capEff}, CapBnd ${capBnd}`),
  ];
}

/** Every check, from the value the probe's main() returned. */
export function checksOf(value: unknown): CheckResult[] {
  const probe = record(value) ?? {};
  return [
    kernelCheck(probe),
    seccompCheck(probe),
    networkCheck(probe),
    serviceAccountCheck(probe),
    ...identityChecks(probe),
  ];
}

/** Judges a finished probe run: passed only when it ran to the end and every check holds. */
export function judgeProbe(run: CodeRun): SelfTestVerdict {
  const status = run.status;
  const result = status?.result;
  if (status?.phase !== 'Succeeded' || !result?.present) {
    const why = status?.phase
      ? `${status.phase}${status.reason ? ` (${status.reason})` : ''}${status.message ? `: ${status.message}` : ''}`
      : 'no status';
    const stderr = status?.stderr?.trim() ? `; stderr: ${status.stderr.trim().slice(-300)}` : '';
    return {
      passed: false,
      reason: 'ProbeFailed',
      message: `isolation self-test failed: the probe run ${run.metadata.name} did not return its findings: ${why}${stderr}`,
      checks: [],
    };
  }
  if (!('value' in result))
    return {
      passed: false,
      reason: 'ProbeFailed',
      message: `isolation self-test failed: the status of the probe run ${run.metadata.name} keeps only a preview, without the probe's findings: raise CODERUN_STATUS_PREVIEW_BYTES (artifacts.statusPreviewBytes) to at least 2048`,
      checks: [],
    };
  const checks = checksOf(result.value);
  const failed = checks.filter((c) => !c.passed);
  if (!failed.length) {
    return {
      passed: true,
      reason: 'Passed',
      message: `isolation self-test passed: ${checks.map((c) => c.name).join(', ')}`,
      checks,
    };
  }
  const lines = failed.map((c) => `${c.name}: ${c.detail}; fix: ${c.fix}`);
  return {
    passed: false,
    reason: 'ChecksFailed',
    message: `isolation self-test failed (${failed.map((c) => c.name).join(', ')}): ${lines.join(' | ')}`,
    checks,
  };
}

/** A verdict for a probe that never finished in time (or could not be created). */
export function unfinishedVerdict(message: string): SelfTestVerdict {
  return {
    passed: false,
    reason: 'ProbeFailed',
    message: `isolation self-test failed: ${message}`,
    checks: [],
  };
}
