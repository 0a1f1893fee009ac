// Image names normalised as containerd's CRI does (github.com/distribution/reference v0.6.0, the version
// containerd v2.3 uses: ParseDockerRef), so an image imported under the normalised name is the one the
// kubelet's lookup finds. The grammar and the steps follow that package's regexp.go, reference.go and
// normalize.go one for one; test/unit/image-reference.test.ts holds its test vectors.

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
// Go's \w is ASCII only, as JavaScript's is without the u flag.
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;

const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const ANCHORED_IDENTIFIER = /^([a-f0-9]{64})$/;

// github.com/opencontainers/go-digest: the algorithms a Go program that links crypto/sha256 and
// crypto/sha512 has, with the length and form of their encoded part.
const DIGEST_ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const ANCHORED_GO_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ImageReference {
  /** "" when the name has none (only after Parse; a normalised name always has one). */
  domain: string;
  path: string;
  tag: string;
  digest: string;
}

export function referenceString({ domain, path, tag, digest }: ImageReference): string {
  return `${domain ? `${domain}/` : ''}${path}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** reference.Parse: a reference in the grammar, domain and all as written. */
export function parseReference(s: string): ImageReference {
  const match = REFERENCE.exec(s);
  if (!match) {
    if (s === '') throw new Error('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw new Error('repository name must be lowercase');
    throw new Error('invalid reference format');
  }
  const name = ANCHORED_NAME.exec(match[1] as string) as RegExpExecArray;
  const path = name[2] as string;
  if (path.length > NAME_TOTAL_LENGTH_MAX) {
    throw new Error(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const digest = match[3] ?? '';
  if (digest) validateDigest(digest);
  return { domain: name[1] ?? '', path, tag: match[2] ?? '', digest };
}

/** go-digest's Parse: a known algorithm with an encoded part of its length, lowercase hex. */
function validateDigest(digest: string): void {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) throw new Error('invalid checksum digest format');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = DIGEST_ALGORITHMS[algorithm];
  if (length === undefined) {
    if (!ANCHORED_GO_DIGEST.test(digest)) throw new Error('invalid checksum digest format');
    throw new Error('unsupported digest algorithm');
  }
  if (encoded.length !== length) throw new Error('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw new Error('invalid checksum digest format');
}

/** splitDockerDomain: the registry domain of a familiar name ("docker.io" when it has none) and the rest. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') [domain, remainder] = [maybeDomain, maybeRemainder];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, maybeRemainder];
  else if (/[.:]/.test(maybeDomain)) [domain, remainder] = [maybeDomain, maybeRemainder];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remainder] = [maybeDomain, maybeRemainder];
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** ParseNormalizedNamed: a familiar name ("busybox", "user/app:1") with its domain and path made full. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (ANCHORED_IDENTIFIER.test(s)) {
    throw new Error(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon > -1 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new Error(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * ParseDockerRef: the name CRI looks an image up by: normalised, ":latest" when it has neither tag nor
 * digest, and only the digest when it has both. Throws on a name outside the grammar.
 */
export function parseDockerRef(name: string): string {
  const reference = parseNormalizedNamed(name);
  if (reference.digest) return referenceString({ ...reference, tag: '' });
  return referenceString({ ...reference, tag: reference.tag || DEFAULT_TAG });
}

/**
 * The name to import an image built here under: parseDockerRef's, for a name with no digest (the image's
 * digest is not known before it is built; the Go helper this replaced refused every digest too).
 */
export function normaliseImageName(name: string): string {
  const normalised = parseDockerRef(name);
  if (parseReference(normalised).digest) {
    throw new Error(`${name}: an image built here is named by a tag, not a digest`);
  }
  return normalised;
}
