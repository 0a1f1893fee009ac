// The artifact rules the controller re-checks, and the store's key layout. Pure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isArtifactName, mimeTypeOf } from '../../../src/artifacts/rules.ts';
import { artifactKey, folderOf, folderUid, outputKey } from '../../../src/artifacts/store.ts';

const UID = '0f8a2b4c-1d2e-4f50-9a6b-7c8d9e0f1a2b';

test("allowed types by lower-cased extension, RAGFlow's list and nothing else", () => {
  assert.is(mimeTypeOf('chart.PNG'), 'image/png');
  assert.is(mimeTypeOf('a.jpeg'), 'image/jpeg');
  assert.is(mimeTypeOf('a.jpg'), 'image/jpeg');
  assert.is(mimeTypeOf('a.svg'), 'image/svg+xml');
  assert.is(mimeTypeOf('r.pdf'), 'application/pdf');
  assert.is(mimeTypeOf('t.csv'), 'text/csv');
  assert.is(mimeTypeOf('d.json'), 'application/json');
  assert.is(mimeTypeOf('p.html'), 'text/html');
  for (const name of ['run.exe', 'x.txt', 'png', '.png', 'a.png.sh', 'a.htm'])
    assert.is(mimeTypeOf(name), null, name);
});

test('names: plain file names only', () => {
  for (const ok of ['chart.png', 'a b.csv', 'é.json', '😀.png', 'a.b.c.png'])
    assert.ok(isArtifactName(ok), ok);
  for (const bad of [
    '',
    '.hidden.png',
    '../x.png',
    'a/b.png',
    'a\\b.png',
    'a..b.png',
    'a\nb.png',
    'a\u007fb.png',
    'x'.repeat(256),
  ])
    assert.not.ok(isArtifactName(bad), JSON.stringify(bad));
});

test('one folder per run (namespace, name, uid); only keys of that shape are taken for a run folder', () => {
  assert.is(artifactKey('ns', 'run-1', UID, 'chart.png'), `ns/run-1/${UID}/chart.png`);
  assert.is(outputKey('ns', 'run-1', UID), `ns/run-1/${UID}/.coderun/output.json`);
  assert.is(folderOf(`ns/run-1/${UID}/.coderun/output.json`), `ns/run-1/${UID}/`);
  assert.is(folderUid(`ns/run-1/${UID}/`), UID);
  // Other data in a shared bucket is never taken for a run folder (the sweep deletes run folders).
  for (const key of ['backups/2026/12/db.tar', `ns/run-1/${UID}`, `ns//${UID}/x`, 'a/b/not-a-uid/c'])
    assert.is(folderOf(key), null, key);
});

test.run();
