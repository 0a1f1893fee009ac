# shellcheck shell=bash
# image_key TAR: identifies the exact image in an OCI or Docker image tarball: a hash of its index.json
# (OCI) or manifest.json (Docker), which name the manifest digests. Image builds are not
# byte-reproducible, so a build's input hash would call two different images the same.
image_key() {
  { tar -xOf "$1" index.json 2>/dev/null || tar -xOf "$1" manifest.json; } | sha256sum | cut -d' ' -f1
}
