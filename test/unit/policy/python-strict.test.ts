// The strict Python profile, the default: capabilities refused whatever their spelling, data work allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPolicy } from '../../../src/policy/index.ts';
import { checkPythonStrict } from '../../../src/policy/python/index.ts';

/** Each finding as `line:column message`, the form the assertions compare. */
function findings(source: string): string[] {
  return checkPythonStrict(source).findings.map((f) => `${f.line}:${f.column} ${f.message}`);
}

function allowed(source: string): boolean {
  return checkPythonStrict(source).allowed;
}

/** Asserts that a program is refused, naming the rule that refused it. */
function refusedBy(source: string, rule: string): void {
  const rules = checkPythonStrict(source).findings.map((f) => f.rule);
  assert.ok(
    rules.includes(rule),
    `expected ${rule} for ${JSON.stringify(source)}, got ${JSON.stringify(rules)}`,
  );
}

test('strict is the profile createPolicy builds by that name, and the one the config defaults to', () => {
  assert.is(createPolicy('strict')('python', 'import subprocess').allowed, false);
  assert.is(createPolicy('strict')('python', 'open("x.txt", "w").write("1")').allowed, true);
});

// Imports

test('refuses a module that is not on the allow-list', () => {
  assert.equal(findings('import subprocess'), ["1:8 Import of 'subprocess', which is not on the allow-list"]);
});

test('allows the standard library of data work and the image’s packages', () => {
  const program = [
    'import json, re, math, datetime, collections, itertools, functools, dataclasses, typing, statistics',
    'import decimal, fractions, random, string, textwrap, csv, io, base64, hashlib, uuid, pathlib, os',
    'import numpy as np, pandas as pd, matplotlib.pyplot as plt, requests',
    'from PIL import Image',
    'from dateutil import parser',
    'from mpl_toolkits.mplot3d import Axes3D',
  ].join('\n');
  assert.equal(findings(program), []);
});

test('refuses a sub-module that loads native code although its package is allowed', () => {
  assert.equal(findings('import numpy.ctypeslib'), ["1:8 Use of 'numpy.ctypeslib' (loads native libraries)"]);
});

test('refuses a member that runs programs, imported by name', () => {
  assert.equal(findings('from matplotlib.testing import subprocess_run_for_testing'), [
    "1:6 Use of 'matplotlib.testing' (subprocess_run_for_testing runs programs)",
  ]);
});

test('refuses a private member of a module, imported or read', () => {
  assert.equal(findings('from uuid import _get_command_stdout'), [
    "1:18 Access to private member '_get_command_stdout' of a module",
  ]);
  assert.equal(findings('import uuid\nuuid._get_command_stdout("id")'), [
    "2:6 Access to private member '_get_command_stdout' of a module",
  ]);
});

test('refuses relative imports, which name any package once the program sets __package__', () => {
  assert.equal(findings('__package__ = "os"\nfrom . import system'), [
    "1:1 Definition of '__package__' (makes relative imports resolve into any package)",
    '2:6 Relative import: the program is a single file, not a package',
  ]);
});

test('refuses import * from a module whose members are restricted', () => {
  refusedBy('from os import *', 'star-import');
  assert.ok(allowed('from math import *'));
});

// Member allow-lists

test('allows os for files and paths, and refuses what starts processes', () => {
  assert.ok(
    allowed('import os\nos.makedirs("artifacts", exist_ok=True)\nprint(os.path.join("a", os.getcwd()))'),
  );
  assert.equal(findings('import os\nos.system("id")'), [
    "2:4 Use of 'os.system': 'os' is limited to an allow-list",
  ]);
});

test('refuses a process function imported from os under another name', () => {
  assert.equal(findings('from os import execv as run'), [
    "1:16 Use of 'os.execv': 'os' is limited to an allow-list",
  ]);
});

test('allows sys for arguments, streams and exit, and refuses its module table and frames', () => {
  assert.ok(allowed('import sys\nprint(sys.argv, file=sys.stderr)\nsys.stdout.write("x")\nsys.exit(0)'));
  refusedBy('import sys\nsys.modules["os"]', 'member-not-allowed');
  refusedBy('import sys\nsys._getframe()', 'member-not-allowed');
});

test('judges the members of a module read through an alias of one of its parts', () => {
  assert.equal(findings('import numpy as np\nlib = np.ctypeslib\nlib.load_library("c", "/lib")'), [
    "2:10 Use of 'numpy.ctypeslib' (loads native libraries)",
    "3:5 Use of 'numpy.ctypeslib' (loads native libraries)",
  ]);
});

test('refuses a module handed on as a value', () => {
  assert.equal(findings('import random\nm = random'), ["2:5 Module 'random' used as a value"]);
});

test('allows an optional import of a package the image lacks, tested before use', () => {
  assert.ok(
    allowed(
      'try:\n    import seaborn as sns\nexcept ImportError:\n    sns = None\nif sns is not None:\n    sns.set()',
    ),
  );
});

test('allows a class or function imported from a module to be handed on', () => {
  assert.ok(allowed('from datetime import datetime\nprint(isinstance(x, datetime))'));
});

// Builtins

for (const [shape, program] of [
  ['assigned', 'run = eval'],
  ['parenthesised', '(eval)("1")'],
  ['mapped', 'list(map(exec, ["1"]))'],
  ['a decorator', '@exec\ndef f():\n    pass'],
  ['a lambda default', 'run = lambda s, e=eval: e(s)'],
  ['in a list', 'x = [compile][0]'],
] as const) {
  test(`refuses a dangerous builtin referenced as ${shape}, not only called`, () => {
    refusedBy(program, 'reference-denied-builtin');
  });
}

test('allows open and files in the work dir: file access is not a step toward an escape', () => {
  assert.ok(allowed('with open("artifacts/out.txt", "w") as f:\n    f.write("ok")\nreader = open'));
});

test('allows getattr with a constant name and judges that name like an attribute', () => {
  assert.ok(allowed('x = getattr(config, "epochs", 10)'));
  refusedBy('getattr(f, "__globals__")', 'denied-attribute');
});

test('refuses getattr with a name computed at run time', () => {
  assert.equal(findings('getattr(obj, name)'), [
    "1:14 'getattr' with an attribute name computed at run time",
  ]);
});

test('allows getattr over a loop of constant names, judging each', () => {
  assert.ok(allowed('for agg in ("mean", "sum"):\n    print(getattr(series, agg)())'));
  refusedBy('for n in ("mean", "__globals__"):\n    getattr(f, n)', 'denied-attribute');
});

test('allows getattr with a constant prefix no refused name starts with', () => {
  assert.ok(allowed('handler = getattr(self, f"visit_{kind}", None)'));
  refusedBy('getattr(self, f"__{kind}")', 'computed-attribute');
});

test('allows setattr with a name computed at run time on an object, not on a module', () => {
  assert.ok(allowed('for key, value in options.items():\n    setattr(self, key, value)'));
  refusedBy('import json\nsetattr(json, key, value)', 'computed-attribute');
});

test('refuses getattr handed on as a value', () => {
  refusedBy('from functools import reduce\nreduce(getattr, names, obj)', 'handed-on-builtin');
});

test('refuses operator.attrgetter with a name computed at run time, and judges constant ones', () => {
  refusedBy('import operator\noperator.attrgetter(name)(f)', 'computed-attribute');
  refusedBy('from operator import attrgetter\nattrgetter("__globals__")(f)', 'denied-attribute');
  assert.ok(allowed('import operator\nrows.sort(key=operator.attrgetter("age"))'));
});

test('allows vars of an instance and refuses vars of a module, a type or the current frame', () => {
  assert.ok(allowed('print(vars(self), vars(args))'));
  refusedBy('import json\nvars(json)', 'module-as-value');
  refusedBy('vars(type)', 'call-denied-builtin');
  refusedBy('vars()', 'call-denied-builtin');
});

// Attributes

test('refuses the class-hierarchy escape at every step', () => {
  assert.equal(findings('().__class__.__bases__[0].__subclasses__()'), [
    "1:14 Access to '__bases__' (climbs to object on the way to __subclasses__)",
    "1:27 Access to '__subclasses__' (lists every loaded class, the classic escape)",
  ]);
});

test('allows __subclasses__ of a class the program defines', () => {
  assert.ok(allowed('class Plugin:\n    pass\nprint(Plugin.__subclasses__())'));
});

test('refuses frames reached through tracebacks and generators', () => {
  refusedBy('frame = error.__traceback__.tb_frame', 'denied-attribute');
  refusedBy('g.gi_frame.f_globals', 'denied-attribute');
});

test('allows the dunders ordinary code reads and calls', () => {
  const program = [
    'class Point:',
    '    def __init__(self, x):',
    '        super().__init__()',
    '        self.x = x',
    '    def __repr__(self):',
    '        return f"{type(self).__name__}({self.x}) {self.__class__.__qualname__}"',
    '    __str__ = __repr__',
    'if __name__ == "__main__":',
    '    print(Point.__doc__, Point(1).__dict__, json.dumps(p, default=lambda o: o.__dict__))',
  ].join('\n');
  assert.equal(findings(program), []);
});

test('refuses __dict__ of a type, which holds descriptors such as __subclasses__', () => {
  refusedBy('type.__dict__', 'dunder-attribute');
  refusedBy('cls = type(f)\ncls.__dict__[key]', 'dunder-attribute');
});

test('allows private attributes on self and on the program’s own classes, and refuses others', () => {
  const program = [
    'class Account:',
    '    _count = 0',
    '    def __init__(self):',
    '        self._balance = 0',
    '        self.__pin = 1',
    '    def __eq__(self, other):',
    '        return self._balance == other._balance and Account._count == 0',
  ].join('\n');
  assert.equal(findings(program), []);
  assert.equal(findings('frame._mgr'), [
    "1:7 Access to private attribute '_mgr' of an object the program did not define",
  ]);
});

test('allows the namedtuple methods that start with an underscore', () => {
  assert.ok(allowed('p = Point(1, 2)._replace(x=3)\nprint(p._asdict(), Point._fields, Point._make([1, 2]))'));
});

test('refuses type handed on as a value, and allows it called, compared, tested and subclassed', () => {
  refusedBy('holder = [type][0]', 'type-as-value');
  assert.ok(allowed('class Meta(type):\n    pass\nok = isinstance(x, (int, type)) and type(x) == type(y)'));
});

test('refuses __dict__ of a name assigned a type', () => {
  refusedBy('kind = [type(f)][0]\nkind.__dict__[name]', 'dunder-attribute');
});

test('refuses help, which imports the module a string names', () => {
  refusedBy('help("helper")', 'call-denied-builtin');
});

test('refuses allow_pickle given through a dict', () => {
  refusedBy('np.load(path, **{"allow_pickle": True})', 'pickle');
});

test('refuses a path to process memory built around an f-string field', () => {
  refusedBy('open(f"/proc/{pid}/mem", "rb")', 'process-memory');
  assert.ok(allowed('open("/proc/meminfo").read()'));
});

test('refuses Unix sockets opened through asyncio', () => {
  refusedBy('import asyncio\nasyncio.open_unix_connection("sock")', 'denied-attribute');
});

test('allows _ as a variable', () => {
  assert.ok(allowed('for _ in range(3):\n    pass\nfirst, *_ = items\nprint(_)'));
});

test('refuses an attribute that re-exports a module whatever object it is read from', () => {
  assert.equal(findings('import random\nrandom._os.system("id")'), [
    "2:8 Access to '_os' (a module re-exported without its allow-list)",
  ]);
  refusedBy('arr.ctypes.data_as(x)', 'denied-attribute');
});

test('refuses reading an attribute in a match class pattern', () => {
  refusedBy('match f:\n    case object(__globals__=g):\n        pass', 'denied-attribute');
});

// Constant strings

for (const [shape, program] of [
  ['adjacent literals', 'getattr(f, "__glob" "als__")'],
  ['an escape', 'getattr(f, "\\x5f_globals__")'],
  ['a join', 'getattr(f, "".join(["__glob", "als__"]))'],
  ['chr() and repetition', 'getattr(f, chr(95) * 2 + "globals" + chr(95) * 2)'],
  ['a reversal', 'getattr(f, "__slabolg__"[::-1])'],
  ['%-formatting', 'getattr(f, "%s%s" % ("__glob", "als__"))'],
  ['an f-string of constants', "getattr(f, f\"{'__glob'}{'als__'}\")"],
] as const) {
  test(`folds a dunder built from ${shape} before judging it`, () => {
    refusedBy(program, 'denied-attribute');
  });
}

test('refuses a dunder in a format string, which str.format resolves', () => {
  refusedBy('"{0.__init__.__globals__}".format(f)', 'denied-attribute');
});

test('refuses a string that names a module function for an import by name', () => {
  refusedBy('handlers = {"()": "subprocess.check_output"}', 'module-string');
});

test('refuses the name of a native library or a Python file, which a later import or load would run', () => {
  refusedBy('open("helper.py", "w")', 'code-file');
  refusedBy('path = "/lib/x86_64-linux-gnu/libc.so.6"', 'code-file');
});

test('refuses process memory under /proc', () => {
  refusedBy('open("/proc/self/mem", "r+b")', 'process-memory');
});

test('refuses a matplotlib backend named by module', () => {
  refusedBy('import matplotlib\nmatplotlib.use("module://backend")', 'module-string');
});

// Code held in strings

test('refuses a string annotation that is not a plain type, which typing evaluates', () => {
  refusedBy("def f(x: \"__import__('os').system('id') or int\"):\n    pass", 'string-annotation');
  assert.ok(allowed('def f(node: "Node", rest: "Optional[list[Node]]") -> "Tree":\n    pass'));
});

test('judges a pandas query string as code', () => {
  assert.ok(allowed('df.query("score > @threshold and name != \'x\'")'));
  refusedBy('df.query("@pd.io.common.os.system(\'id\')")', 'denied-attribute');
});

test('refuses pandas.eval of an expression computed at run time', () => {
  refusedBy('import pandas as pd\npd.eval(expression)', 'computed-expression');
});

test('refuses numpy.load with allow_pickle', () => {
  refusedBy('import numpy as np\nnp.load("a.npy", allow_pickle=True)', 'pickle');
  assert.ok(allowed('import numpy as np\nnp.load("a.npy")'));
});

test('refuses a timeit statement given as a string, and allows a callable', () => {
  refusedBy('import timeit\ntimeit.timeit("1 + 1")', 'evaluated-string');
  assert.ok(allowed('import timeit\ntimeit.timeit(lambda: sum(range(10)), number=5)'));
});

// Faithful parsing

test('refuses a coding cookie other than UTF-8, which makes CPython run a different text', () => {
  assert.equal(findings('# coding: unicode_escape\n# \\nimport os\\nos.system("id")'), [
    "1:11 Source encoding 'unicode_escape' declared: only UTF-8 programs are checked",
  ]);
  refusedBy('#!/usr/bin/env python\n# -*- coding: utf-7 -*-\nx = 1', 'source-encoding');
  refusedBy('# vim: set fileencoding=latin-1 :\nx = 1', 'source-encoding');
});

test('allows a coding cookie naming UTF-8 in any of its spellings', () => {
  for (const name of ['utf-8', 'UTF8', 'utf_8', 'Utf-8-sig'])
    assert.ok(allowed(`# -*- coding: ${name} -*-\nx = 1`), name);
});

test('ignores a coding cookie after a line of code, as CPython does', () => {
  assert.ok(allowed('x = 1\n# coding: utf-7'));
});

test('reads past leading byte-order marks, which CPython strips', () => {
  assert.equal(findings('\ufeff\ufeffimport subprocess'), [
    "1:10 Import of 'subprocess', which is not on the allow-list",
  ]);
});

test('normalises identifiers as CPython does (NFKC)', () => {
  refusedBy('ｅｘｅｃ("1")', 'call-denied-builtin');
  refusedBy('import ｏｓ\nｏｓ.system("id")', 'member-not-allowed');
});

test('checks the field CPython 3.11 sees after a backslash in an f-string', () => {
  refusedBy('s = f"\\{exec(code)}"', 'call-denied-builtin');
  refusedBy('s = rf"\\{exec(code)}"', 'call-denied-builtin');
});

test('allows a program whose only problem is a syntax error', () => {
  assert.equal(checkPythonStrict('def broken(:\n    return 1 +\n'), { allowed: true, findings: [] });
});

test('refuses a program nested deeper than the parse can be trusted', () => {
  refusedBy(`x = ${'a if b else '.repeat(2000)}c`, 'too-deep');
});

test.run();
