// seccomp/sandbox.json, the Localhost profile of sandbox Pods. containerd reads it straight into the OCI
// runtime spec and runsc (with oci-seccomp) enforces it inside gVisor; `make images-check` runs the
// sandbox images under runc with it, which proves the allow-list is enough for the real libraries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  comment?: string;
}
interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: Rule[];
}

const text = readFileSync(join(import.meta.dirname, '../../seccomp/sandbox.json'), 'utf8');
const profile: Profile = JSON.parse(text);
const allowRules = profile.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW');
const unconditional = new Set(allowRules.filter((rule) => !rule.args?.length).flatMap((rule) => rule.names));

/** Calls that would let a program escape, see the host, or reach kernel surface it never needs. */
const MUST_BE_DENIED = `
ptrace mount umount umount2 unshare setns bpf keyctl add_key request_key perf_event_open init_module
finit_module delete_module kexec_load kexec_file_load reboot swapon swapoff pivot_root chroot clock_settime
clock_adjtime settimeofday adjtimex stime userfaultfd process_vm_readv process_vm_writev open_by_handle_at
name_to_handle_at iopl ioperm acct quotactl lookup_dcookie syslog vhangup fsopen fsmount move_mount open_tree
io_uring_setup modify_ldt socketcall
`
  .trim()
  .split(/\s+/);

/** What the runners and their interpreters cannot start without. */
const MUST_BE_ALLOWED = `
read write openat close mmap mprotect munmap brk execve wait4 pipe2 dup2 epoll_ctl epoll_pwait futex
rt_sigaction arch_prctl set_tid_address getrandom mkdir mkdirat unlink setsid kill statx newfstatat prlimit64
`
  .trim()
  .split(/\s+/);

// The actions and argument operators runsc accepts (runsc/specutils/seccomp); anything else
// (SCMP_ACT_LOG, SCMP_ACT_KILL_PROCESS, SCMP_ACT_NOTIFY) stops the container from starting.
const GVISOR_ACTIONS = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_TRACE',
];
const GVISOR_OPERATORS = [
  'SCMP_CMP_EQ',
  'SCMP_CMP_NE',
  'SCMP_CMP_GT',
  'SCMP_CMP_GE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_MASKED_EQ',
];

test('the profile is a JSON object with only OCI fields (containerd ignores Docker-only ones)', () => {
  assert.type(profile, 'object');
  assert.equal(Object.keys(profile).sort(), [
    'architectures',
    'defaultAction',
    'defaultErrnoRet',
    'syscalls',
  ]);
  for (const rule of profile.syscalls) {
    for (const key of Object.keys(rule))
      assert.ok(['names', 'action', 'errnoRet', 'args', 'comment'].includes(key), key);
    assert.ok(rule.names.length > 0);
  }
});

test('everything not allowed fails with EPERM', () => {
  assert.is(profile.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(profile.defaultErrnoRet, 1);
});

test('the architectures cover x86_64 with its 32-bit ABIs, and arm64', () => {
  assert.equal(profile.architectures, [
    'SCMP_ARCH_X86_64',
    'SCMP_ARCH_X86',
    'SCMP_ARCH_X32',
    'SCMP_ARCH_AARCH64',
  ]);
});

test('only actions and operators gVisor accepts appear', () => {
  for (const rule of profile.syscalls) {
    assert.ok(GVISOR_ACTIONS.includes(rule.action), `${rule.names} uses ${rule.action}`);
    for (const arg of rule.args ?? []) {
      assert.ok(GVISOR_OPERATORS.includes(arg.op), `${rule.names} uses ${arg.op}`);
      assert.ok(arg.index >= 0 && arg.index <= 5, `${rule.names} checks argument ${arg.index}`);
    }
  }
});

test('no allow rule, conditional or not, names a call that must be denied', () => {
  const allowed = new Set(allowRules.flatMap((rule) => rule.names));
  const leaks = MUST_BE_DENIED.filter((name) => allowed.has(name));
  assert.equal(leaks, []);
});

test('what the interpreters need is allowed outright', () => {
  const missing = MUST_BE_ALLOWED.filter((name) => !unconditional.has(name));
  assert.equal(missing, []);
});

test('a call is listed at most once among the unconditional allows', () => {
  const names = allowRules.filter((rule) => !rule.args?.length).flatMap((rule) => rule.names);
  assert.is(names.length, new Set(names).size);
});

test('clone is allowed only without namespace flags; clone3 is allowed because gVisor ignores errnoRet', () => {
  assert.not.ok(unconditional.has('clone'));
  const clone = allowRules.filter((rule) => rule.names.includes('clone'));
  assert.equal(
    clone.map((rule) => rule.args),
    [[{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]],
  );
  const clone3 = profile.syscalls.filter((rule) => rule.names.includes('clone3'));
  assert.equal(
    clone3.map((rule) => [rule.action, rule.args]),
    [['SCMP_ACT_ALLOW', undefined]],
  );
});

function allowedValues(name: string): number[] {
  return allowRules
    .filter((rule) => rule.names.includes(name))
    .map((rule) => {
      assert.is(rule.args?.length, 1, `${name} must be allowed for one argument value per rule`);
      const [arg] = rule.args ?? [];
      assert.equal([arg?.index, arg?.op], [0, 'SCMP_CMP_EQ']);
      return arg?.value ?? -1;
    })
    .sort((a, b) => a - b);
}

test('personality is allowed only for the values that keep address-space randomisation', () => {
  assert.not.ok(unconditional.has('personality'));
  assert.equal(allowedValues('personality'), [0, 8, 0x20000, 0x20008, 0xffffffff]);
});

test('sockets are allowed only for unix, IPv4, IPv6 and netlink', () => {
  assert.not.ok(unconditional.has('socket'));
  assert.equal(allowedValues('socket'), [1, 2, 10, 16]);
});

test.run();
