// An OCI image tarball unpacked into a root filesystem, for running its entry point without a container
// engine: the OCI image layout (index.json, as hack/oci-image.sh and `skopeo copy ... oci-archive:` write
// it) or `docker save`'s manifest.json; layers applied in order with their whiteouts. Kept under `cache`
// by the image manifest's digest, so a second check of the same image starts at once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The parts of an image's config the runtime uses (OCI image config, `config` object). */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
}

export interface UnpackedImage {
  rootfs: string;
  config: ImageConfig;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { architecture?: string; os?: string };
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

export function unpackImage(tarball: string, cache: string): UnpackedImage {
  mkdirSync(cache, { recursive: true });
  const layout = mkdtempSync(join(cache, 'layout-'));
  try {
    execFileSync('tar', ['-xf', tarball, '-C', layout]);
    const { key, layers, config } = readLayout(layout);
    const dir = join(cache, key);
    if (!existsSync(join(dir, 'complete'))) {
      rmSync(dir, { recursive: true, force: true });
      const rootfs = join(dir, 'rootfs');
      mkdirSync(rootfs, { recursive: true });
      for (const layer of layers) applyLayer(join(layout, layer), rootfs);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      writeFileSync(join(dir, 'complete'), '');
    }
    return {
      rootfs: join(dir, 'rootfs'),
      config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    };
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join('blobs', algorithm ?? '', hex ?? '');
}

function readJson<T>(layout: string, path: string): T {
  return JSON.parse(readFileSync(join(layout, path), 'utf8')) as T;
}

/** The layers (paths in the layout, base first), the config and a key for the image. */
function readLayout(layout: string): { key: string; layers: string[]; config: ImageConfig } {
  if (existsSync(join(layout, 'index.json'))) {
    let descriptor = pick(readJson<{ manifests: Descriptor[] }>(layout, 'index.json').manifests);
    while (descriptor.mediaType && INDEX_TYPES.has(descriptor.mediaType)) {
      descriptor = pick(readJson<{ manifests: Descriptor[] }>(layout, blobPath(descriptor.digest)).manifests);
    }
    const manifest = readJson<{ config: Descriptor; layers: Descriptor[] }>(
      layout,
      blobPath(descriptor.digest),
    );
    const config = readJson<{ config?: ImageConfig }>(layout, blobPath(manifest.config.digest)).config ?? {};
    return {
      key: descriptor.digest.replace(':', '-').slice(0, 23),
      layers: manifest.layers.map((layer) => blobPath(layer.digest)),
      config,
    };
  }
  if (existsSync(join(layout, 'manifest.json'))) {
    const [manifest] = readJson<{ Config: string; Layers: string[] }[]>(layout, 'manifest.json');
    if (!manifest) throw new Error('manifest.json lists no image');
    const config = readJson<{ config?: ImageConfig }>(layout, manifest.Config).config ?? {};
    return {
      key: `docker-${manifest.Config.replace(/\W/g, '').slice(-16)}`,
      layers: manifest.Layers,
      config,
    };
  }
  throw new Error('not an OCI image layout or docker save tarball (no index.json, no manifest.json)');
}

/** The manifest for this machine's architecture, else the only one. */
function pick(manifests: Descriptor[]): Descriptor {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const chosen =
    manifests.find((m) => m.platform?.architecture === arch && (m.platform.os ?? 'linux') === 'linux') ??
    (manifests.length === 1 ? manifests[0] : undefined);
  if (!chosen) throw new Error(`no manifest for linux/${arch} among ${manifests.length}`);
  return chosen;
}

/**
 * Extracts one layer over `rootfs`: first its whiteouts remove what earlier layers put there (`.wh.<name>`
 * removes <name>, `.wh..wh..opq` empties its directory), then its files are written as they are in the
 * tar (owners by number, modes, links).
 */
function applyLayer(layer: string, rootfs: string): void {
  const entries = execFileSync('tar', ['-tf', layer], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 }).split(
    '\n',
  );
  for (const entry of entries) {
    const path = entry.replace(/^\.?\//, '');
    const name = path.split('/').at(-1) ?? '';
    if (!name.startsWith('.wh.')) continue;
    const dir = join(rootfs, dirname(path));
    if (name === '.wh..wh..opq') {
      if (existsSync(dir)) {
        const emptied = `${dir}.coderun-opaque`;
        renameSync(dir, emptied);
        rmSync(emptied, { recursive: true, force: true });
        mkdirSync(dir);
      }
    } else {
      rmSync(join(dir, name.slice('.wh.'.length)), { recursive: true, force: true });
    }
  }
  execFileSync('tar', [
    '-xf',
    layer,
    '-C',
    rootfs,
    '--numeric-owner',
    '--same-permissions',
    '--exclude=.wh.*',
  ]);
}
