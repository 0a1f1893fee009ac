// The JSON of a single-layer OCI image layout (image config, manifest, index, oci-layout and a Docker-style
// manifest.json) and its digests, for hack/oci-image.sh, which makes the layer tar and packs the layout.
//   node hack/lib/oci-layout.ts check <image-name> [options]        the normalised name, or what is wrong
//   node hack/lib/oci-layout.ts write <dir> <image-name> [options]  <dir>/layer.tar and <dir>/layer.tar.gz
//       become <dir>/{blobs/sha256/*,index.json,oci-layout,manifest.json}; prints the normalised name
// The options are oci-image.sh's (--entrypoint, --cmd, --user, --env, --workdir, --label, --arch, --created).
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseImageName } from './image-reference.ts';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

export interface ImageSettings {
  entrypoint: string[] | null;
  cmd: string[] | null;
  user: string;
  workdir: string;
  /** KEY=value; PATH is added in front when none is given. */
  env: string[];
  /** KEY=value. */
  labels: string[];
  arch: string;
  /** RFC 3339; the epoch by default, so the same tree gives the same digests. */
  created: string;
}

/** A blob by its digest ("sha256:<hex>") and size in bytes. */
export interface Descriptor {
  digest: string;
  size: number;
}

/** The options of oci-image.sh, later ones winning; throws naming the option that is wrong. */
export function parseImageSettings(args: string[]): ImageSettings {
  const settings: ImageSettings = {
    entrypoint: null,
    cmd: null,
    user: '',
    workdir: '',
    env: [],
    labels: [],
    arch: '',
    created: '1970-01-01T00:00:00Z',
  };
  for (let i = 0; i < args.length; i += 2) {
    const option = args[i] as string;
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${option} needs a value`);
    if (option === '--entrypoint') settings.entrypoint = argv(value);
    else if (option === '--cmd') settings.cmd = argv(value);
    else if (option === '--user') settings.user = value;
    else if (option === '--workdir') settings.workdir = value;
    else if (option === '--arch') settings.arch = value;
    else if (option === '--created') settings.created = value;
    else if (option === '--env' || option === '--label') {
      if (!value.includes('=')) throw new Error(`${option} wants KEY=VALUE, got '${value}'`);
      (option === '--env' ? settings.env : settings.labels).push(value);
    } else throw new Error(`unknown option ${option} (see --help)`);
  }
  if (!settings.env.some((kv) => kv.startsWith('PATH='))) settings.env.unshift(DEFAULT_PATH);
  return settings;
}

/** An argv option: a JSON array of strings as given, or one plain word. */
function argv(value: string): string[] {
  if (!value.startsWith('[')) return [value];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // Not JSON: refused below.
  }
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) {
    throw new Error(`not a JSON array of strings: ${value}`);
  }
  return parsed;
}

/** One line of compact JSON, as `jq -c` writes it (DEL escaped too), so digests match the jq-built layouts'. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(/\x7f/g, '\\u007f')}\n`;
}

export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The image config: the runtime settings, one layer by its uncompressed digest (diff ID), one history entry. */
export function imageConfig(settings: ImageSettings, diffId: string): object {
  const labels = Object.fromEntries(
    settings.labels.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return {
    created: settings.created,
    architecture: settings.arch,
    os: 'linux',
    config: {
      Env: settings.env,
      ...(settings.entrypoint ? { Entrypoint: settings.entrypoint } : {}),
      ...(settings.cmd ? { Cmd: settings.cmd } : {}),
      ...(settings.user ? { User: settings.user } : {}),
      ...(settings.workdir ? { WorkingDir: settings.workdir } : {}),
      ...(settings.labels.length > 0 ? { Labels: labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: settings.created, created_by: 'hack/oci-image.sh' }],
  };
}

export function imageManifest(config: Descriptor, layer: Descriptor): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: { mediaType: MEDIA_TYPE.config, ...config },
    layers: [{ mediaType: MEDIA_TYPE.layer, ...layer }],
  };
}

/**
 * The index: the manifest, named for containerd by the normalised name (`ctr images import` keeps it as
 * written) and by its tag, as the OCI spec suggests for org.opencontainers.image.ref.name.
 */
export function imageIndex(manifest: Descriptor, arch: string, normalisedName: string): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: [
      {
        mediaType: MEDIA_TYPE.manifest,
        ...manifest,
        platform: { architecture: arch, os: 'linux' },
        annotations: {
          'io.containerd.image.name': normalisedName,
          'org.opencontainers.image.ref.name': refName(normalisedName),
        },
      },
    ],
  };
}

/** What follows the first ":" of the last path component: the tag of a normalised name. */
export function refName(normalisedName: string): string {
  const last = normalisedName.slice(normalisedName.lastIndexOf('/') + 1);
  return last.slice(last.indexOf(':') + 1);
}

/** manifest.json, which `docker load` and other loaders read, with the name as given. */
export function dockerManifest(config: Descriptor, layer: Descriptor, name: string): object {
  return [{ Config: blobPath(config), RepoTags: [name], Layers: [blobPath(layer)] }];
}

function blobPath({ digest }: Descriptor): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/** The digest of a file, read as a stream (a layer may be gigabytes). */
async function fileDigest(path: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Writes the layout into dir from dir/layer.tar (for the diff ID, then removed) and dir/layer.tar.gz. */
async function writeLayout(dir: string, name: string, settings: ImageSettings): Promise<string> {
  const normalised = normaliseImageName(name);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const { digest: diffId } = await fileDigest(join(dir, 'layer.tar'));
  rmSync(join(dir, 'layer.tar'));
  const layer = await fileDigest(join(dir, 'layer.tar.gz'));
  renameSync(join(dir, 'layer.tar.gz'), join(dir, blobPath(layer)));
  const blob = (value: object): Descriptor => {
    const text = jsonLine(value);
    const descriptor = { digest: sha256Digest(text), size: Buffer.byteLength(text) };
    writeFileSync(join(dir, blobPath(descriptor)), text);
    return descriptor;
  };
  const config = blob(imageConfig(settings, diffId));
  const manifest = blob(imageManifest(config, layer));
  writeFileSync(join(dir, 'index.json'), jsonLine(imageIndex(manifest, settings.arch, normalised)));
  writeFileSync(join(dir, 'oci-layout'), jsonLine({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'manifest.json'), jsonLine(dockerManifest(config, layer, name)));
  return normalised;
}

if (import.meta.main) {
  const [command, ...args] = process.argv.slice(2);
  try {
    if (command === 'check' && args.length >= 1) {
      const [name, ...options] = args as [string, ...string[]];
      parseImageSettings(options);
      try {
        console.log(normaliseImageName(name));
      } catch (error) {
        throw new Error(`invalid image name ${name}: ${(error as Error).message}`);
      }
    } else if (command === 'write' && args.length >= 2) {
      const [dir, name, ...options] = args as [string, string, ...string[]];
      console.log(await writeLayout(dir, name, parseImageSettings(options)));
    } else {
      throw new Error(
        'usage: node hack/lib/oci-layout.ts check <image-name> | write <dir> <image-name> [options]',
      );
    }
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
