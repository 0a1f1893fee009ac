import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPolicy, formatFindings } from '../../../src/policy/index.ts';
import {
  BLOCKED_PYTHON_BUILTINS,
  BLOCKED_PYTHON_MODULES,
  checkPythonCompat as checkPython,
} from '../../../src/policy/python/index.ts';

// The compat profile: upstream RAGFlow's block list plus the bypasses upstream missed (strict.test.ts has
// the default profile).

/** Each finding as `line:column message`, the form the assertions compare. */
function findings(source: string): string[] {
  return checkPython(source).findings.map((f) => `${f.line}:${f.column} ${f.message}`);
}

const blockedModules = Object.keys(BLOCKED_PYTHON_MODULES);

// The modules RAGFlow's own analyzer blocks, minus asyncio, which async programs need.
const upstreamModules = [
  'os',
  'subprocess',
  'sys',
  'shutil',
  'socket',
  'ctypes',
  'pickle',
  'threading',
  'multiprocessing',
  'ftplib',
  'telnetlib',
];

test('blocks every module upstream blocks except asyncio', () => {
  for (const module of upstreamModules) assert.ok(blockedModules.includes(module), module);
  assert.not.ok(blockedModules.includes('asyncio'));
});

const importForms: [string, (module: string) => string, (module: string) => string][] = [
  ['import x', (m) => `import ${m}`, (m) => `1:8 Import of blocked module '${m}'`],
  ['import x.y', (m) => `import ${m}.inner`, (m) => `1:8 Import of blocked module '${m}.inner'`],
  ['import x as y', (m) => `import ${m} as alias`, (m) => `1:8 Import of blocked module '${m}'`],
  ['from x import y', (m) => `from ${m} import thing`, (m) => `1:6 Import of blocked module '${m}'`],
  [
    'from x.y import z',
    (m) => `from ${m}.inner import thing`,
    (m) => `1:6 Import of blocked module '${m}.inner'`,
  ],
];

for (const [form, program, expected] of importForms) {
  test(`rejects every blocked module imported as \`${form}\``, () => {
    for (const module of blockedModules)
      assert.equal(findings(program(module)), [expected(module)], program(module));
  });
}

test('rejects a blocked module listed after an allowed one', () => {
  assert.equal(findings('import math, os'), ["1:14 Import of blocked module 'os'"]);
});

test('rejects a blocked module imported inside a function', () => {
  assert.equal(findings('def main():\n    import subprocess\n'), [
    "2:12 Import of blocked module 'subprocess'",
  ]);
});

test('rejects relative imports, which resolve into any package once the program sets __package__', () => {
  assert.equal(findings('from . import os\nfrom .os import path\nfrom ... import sys'), [
    '1:6 Relative import',
    '2:6 Relative import',
    '3:6 Relative import',
  ]);
});

for (const name of Object.keys(BLOCKED_PYTHON_BUILTINS)) {
  test(`rejects a call of the builtin ${name}()`, () => {
    assert.equal(findings(`x = ${name}("a")`), [`1:5 Call of blocked builtin '${name}'`]);
  });
}

test('rejects eval handed on as a value, not only called', () => {
  assert.equal(findings('run = eval\nrun("1")'), ["1:7 Reference to blocked builtin 'eval'"]);
});

test('rejects getattr used as a parameter default', () => {
  assert.equal(findings('def f(a, get=getattr):\n    return get(a, "b")'), [
    "1:14 Reference to blocked builtin 'getattr'",
  ]);
});

test('allows a variable named open, as in price data, while a call of open() stays blocked', () => {
  assert.equal(findings('open = df["open"]\nprint(open.mean())'), []);
});

test('allows a keyword argument named like a blocked builtin', () => {
  assert.equal(findings('plot(compile=True, eval=False)'), []);
});

test('rejects random._os.system, the bypass upstream missed', () => {
  assert.equal(findings('import random\nrandom._os.system("id")'), [
    "2:8 Access to blocked module through attribute '_os'",
  ]);
});

test('rejects a blocked module re-exported as a plain attribute, such as logging.os', () => {
  assert.equal(findings('import logging\nlogging.os.system("id")'), [
    "2:9 Access to blocked module through attribute 'os'",
  ]);
});

test('rejects importing a re-exported module by name, as in from random import _os', () => {
  assert.equal(findings('from random import _os'), ["1:20 Import of blocked name '_os' from 'random'"]);
});

test('rejects __builtins__.eval', () => {
  assert.equal(findings('__builtins__.eval("1")'), ["1:1 Access to '__builtins__'"]);
});

test('rejects __builtins__["eval"]', () => {
  assert.equal(findings('__builtins__["eval"]("1")'), ["1:1 Access to '__builtins__'"]);
});

test('rejects getattr(__import__("o"+"s"), "system") with both calls', () => {
  assert.equal(findings('getattr(__import__("o"+"s"), "system")("id")'), [
    "1:1 Call of blocked builtin 'getattr'",
    "1:9 Call of blocked builtin '__import__'",
  ]);
});

test('rejects globals()["__builtins__"] for the call and the string', () => {
  assert.equal(findings('globals()["__builtins__"]'), [
    "1:1 Call of blocked builtin 'globals'",
    "1:12 Access to '__builtins__'",
  ]);
});

test('rejects the ().__class__.__bases__[0].__subclasses__() escape', () => {
  assert.equal(findings('().__class__.__bases__[0].__subclasses__()'), [
    "1:14 Access to '__bases__'",
    "1:27 Access to '__subclasses__'",
  ]);
});

test('rejects __mro__ and __base__ as routes to object', () => {
  assert.equal(findings('a = x.__mro__\nb = x.__base__'), [
    "1:7 Access to '__mro__'",
    "2:7 Access to '__base__'",
  ]);
});

test('rejects reaching the builtins through a function’s __globals__', () => {
  assert.equal(findings('f.__init__.__globals__["os"]'), ["1:12 Access to '__globals__'"]);
});

test('rejects the builtins module reached as __self__ of a builtin function', () => {
  assert.equal(findings('len.__self__.exec("1")'), ["1:5 Access to '__self__'"]);
});

test('rejects frame objects reached through a traceback', () => {
  assert.equal(findings('g = e.__traceback__.tb_frame.f_globals'), [
    "1:21 Access to 'tb_frame'",
    "1:30 Access to 'f_globals'",
  ]);
});

test('rejects __loader__, which imports any module', () => {
  assert.equal(findings('__loader__.load_module("os")'), ["1:1 Access to '__loader__'"]);
});

test('rejects an escape dunder spelled in a format string for str.format', () => {
  assert.equal(findings('"{0.__globals__}".format(f)'), ["1:5 Access to '__globals__'"]);
});

test('rejects an escape dunder in the literal part of an f-string', () => {
  assert.equal(findings('s = f"{x} __subclasses__"'), ["1:11 Access to '__subclasses__'"]);
});

test('rejects a blocked call inside an f-string replacement field', () => {
  assert.equal(findings('s = f"{eval(code)}"'), ["1:8 Call of blocked builtin 'eval'"]);
});

test('allows self.__class__.__name__ in ordinary code', () => {
  assert.equal(findings('class A:\n    def name(self):\n        return self.__class__.__name__'), []);
});

test('allows __dict__ of an ordinary object', () => {
  assert.equal(findings('class A:\n    def update(self, **kw):\n        self.__dict__.update(kw)'), []);
});

test('rejects __dict__ of a module, which holds its private re-exports', () => {
  assert.equal(findings('import random\nrandom.__dict__["_os"]'), [
    "2:1 Access to '__dict__' of module 'random'",
  ]);
});

test('rejects importlib.import_module("os") at the import and at the use', () => {
  assert.equal(findings('import importlib\nimportlib.import_module("os")'), [
    "1:8 Import of blocked module 'importlib'",
    "2:1 Use of blocked module 'importlib'",
  ]);
});

test('rejects attribute access on an alias of a blocked module', () => {
  assert.equal(findings('import os as o\no.system("id")'), [
    "1:8 Import of blocked module 'os'",
    "2:1 Use of blocked module 'os'",
  ]);
});

test('rejects attribute access on a blocked module imported after its use', () => {
  assert.equal(findings('def f():\n    return os.getcwd()\nimport os'), [
    "2:12 Use of blocked module 'os'",
    "3:8 Import of blocked module 'os'",
  ]);
});

test('rejects exec(compile(...)) for both calls', () => {
  assert.equal(findings('exec(compile("1", "<s>", "exec"))'), [
    "1:1 Call of blocked builtin 'exec'",
    "1:6 Call of blocked builtin 'compile'",
  ]);
});

test('rejects io.open, which is open() by another name', () => {
  assert.equal(findings('import io\nio.open("/etc/passwd")'), ["2:1 Use of blocked name 'open' from 'io'"]);
});

test('rejects from io import open', () => {
  assert.equal(findings('from io import open'), ["1:16 Import of blocked name 'open' from 'io'"]);
});

test('allows asyncio and asyncio.run', () => {
  const program = 'import asyncio\n\nasync def main():\n    await asyncio.sleep(0)\n\nasyncio.run(main())';
  assert.equal(findings(program), []);
});

test('rejects asyncio.create_subprocess_shell', () => {
  assert.equal(findings('import asyncio\nawait asyncio.create_subprocess_shell("id")'), [
    "2:15 Access to 'create_subprocess_shell'",
  ]);
});

test('reports the blocked things it can see in a program with a syntax error, and not the error', () => {
  assert.equal(findings('import os\nos.system(\ndef broken(:\n    pass'), [
    "1:8 Import of blocked module 'os'",
    "2:1 Use of blocked module 'os'",
  ]);
});

test('allows a program whose only problem is a syntax error', () => {
  assert.equal(checkPython('def broken(:\n    return 1 +\n'), { allowed: true, findings: [] });
});

test('refuses a program nested deeper than the parse can be trusted, reporting where', () => {
  const verdict = checkPython(`x = 1\ny = ${'a if b else '.repeat(2000)}c`);
  assert.equal(
    verdict.findings.map((f) => [f.line, f.rule]),
    [[2, 'too-deep']],
  );
});

test('allows an empty program', () => {
  assert.equal(checkPython(''), { allowed: true, findings: [] });
});

test('reports each finding once, sorted by line then column', () => {
  assert.equal(findings('x = eval("1"); y = exec("2")\nimport os'), [
    "1:5 Call of blocked builtin 'eval'",
    "1:20 Call of blocked builtin 'exec'",
    "2:8 Import of blocked module 'os'",
  ]);
});

test('names the rule that fired', () => {
  assert.equal(
    checkPython('import os').findings.map((f) => f.rule),
    ['import-blocked-module'],
  );
});

test('counts columns from 1 after indentation and on later lines', () => {
  assert.equal(findings('if True:\n    if True:\n        value = eval(text)'), [
    "3:17 Call of blocked builtin 'eval'",
  ]);
});

const ordinaryPrograms: [string, string][] = [
  ['arithmetic and string repetition', 'seconds = 60*60\nline = "-"*20'],
  ['re.compile', 'import re\npattern = re.compile(r"x")'],
  ['DataFrame.rename', 'df = df.rename(columns={"a": "b"})'],
  ['list.remove', 'lst.remove(x)'],
  ['json.loads', 'import json\ndata = json.loads(s)'],
  [
    'everyday standard library imports',
    'import math, json, re, datetime, collections, itertools, functools, random, statistics, decimal, fractions, ' +
      'typing, dataclasses, enum, base64, hashlib, uuid, string, textwrap, copy, heapq, bisect',
  ],
  [
    'typical pandas, numpy and matplotlib code',
    [
      'import pandas as pd',
      'import numpy as np',
      'import matplotlib',
      'matplotlib.use("Agg")',
      'import matplotlib.pyplot as plt',
      'df = pd.DataFrame({"x": np.arange(10)})',
      'df["y"] = df["x"] ** 2',
      'plt.plot(df["x"], df["y"])',
      'plt.savefig("artifacts/x.png")',
    ].join('\n'),
  ],
  ['requests, shipped in the image', 'import requests\nr = requests.get("https://example.com", timeout=5)'],
  ['io.StringIO', 'import io\nimport pandas as pd\ndf = pd.read_csv(io.StringIO("a,b\\n1,2"))'],
  ['urllib.parse', 'from urllib.parse import urlencode\nq = urlencode({"a": 1})'],
  ['input()', 'name = input()'],
  [
    'async functions and await',
    'async def fetch(x):\n    return x\n\nasync def main():\n    return await fetch(1)',
  ],
  [
    'classes, decorators and dataclasses',
    'from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int\n    y: int = 0\n\n    @property\n    def norm(self) -> float:\n        return (self.x ** 2 + self.y ** 2) ** 0.5',
  ],
  ['f-strings with format specs', 'name = "a"\nprint(f"{name!r:>10} {3.14159:.2f} {{literal}}")'],
  [
    'comprehensions',
    'a = [x for x in range(3)]\nb = {x: x for x in a}\nc = {x for x in a}\nd = (x for x in a)',
  ],
  ['the walrus operator', 'if (n := len(data)) > 10:\n    print(n)'],
  [
    'match statements',
    'match command:\n    case {"action": "go", "to": dest}:\n        print(dest)\n    case [first, *rest]:\n        pass\n    case _:\n        pass',
  ],
  [
    'type hints',
    'from typing import Optional\n\ndef f(a: list[int], b: Optional[str] = None) -> dict[str, int]:\n    return {}',
  ],
  ['def main(**kwargs)', 'def main(**kwargs):\n    return {"result": kwargs.get("x")}'],
  [
    'a docstring and comments that mention os and eval',
    'def f():\n    """Avoid os and eval."""\n    # eval(x)\n    return 1',
  ],
  [
    'traceback printing with __traceback__',
    'import traceback\ntry:\n    1 / 0\nexcept Exception as e:\n    traceback.print_exception(type(e), e, e.__traceback__)',
  ],
  [
    'a method named like a blocked builtin',
    'class Model:\n    def compile(self):\n        return self\n\nmodel.compile()',
  ],
];

for (const [description, program] of ordinaryPrograms) {
  test(`allows ${description}`, () => {
    assert.equal(findings(program), []);
  });
}

test('refuses a coding cookie other than UTF-8, as strict does: CPython would run a different text', () => {
  assert.equal(findings('# coding: utf-7\n# +AAo-import os'), [
    "1:11 Source encoding 'utf-7' declared: only UTF-8 programs are checked",
  ]);
});

test('reads past leading byte-order marks, which CPython strips', () => {
  assert.equal(findings('\ufeffimport os'), ["1:9 Import of blocked module 'os'"]);
});

test('normalises identifiers as CPython does (NFKC)', () => {
  assert.equal(findings('ｅｘｅｃ("1")'), ["1:1 Call of blocked builtin 'exec'"]);
});

test('checks the field CPython 3.11 sees after a backslash in an f-string', () => {
  assert.equal(findings('s = f"\\{eval(code)}"'), ["1:9 Call of blocked builtin 'eval'"]);
});

test('formats findings the way RAGFlow shows them', () => {
  const { findings: found } = checkPython('import math\nimport os');
  assert.is(formatFindings(found), "Line 2: Import of blocked module 'os'");
});

test('the compat policy checks Python programs', () => {
  const verdict = createPolicy('compat')('python', 'import os');
  assert.is(verdict.allowed, false);
});

test('the off policy allows any Python program', () => {
  assert.equal(createPolicy('off')('python', 'import os'), { allowed: true, findings: [] });
});

test.run();
