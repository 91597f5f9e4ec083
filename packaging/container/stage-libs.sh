#!/bin/sh
# Stages the build context of the scratch image: the binary plus every
# shared library that ldd reports for it, at the same absolute paths.
#
#   packaging/container/stage-libs.sh dist/appapi-dsp dist/container
#   docker build -f packaging/container/Dockerfile dist/container
#
# The official Node binary links glibc and libstdc++ dynamically, so a
# scratch image needs them next to it. ldd runs the binary's dynamic
# loader, so stage on a host of the binary's own architecture.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 BINARY CONTEXT_DIR" >&2
  exit 2
fi
binary=$1
context=$2

if [ ! -x "$binary" ]; then
  echo "stage-libs: $binary is missing or not executable; run npm run build" >&2
  exit 1
fi
if ! listing=$(ldd "$binary" 2>&1); then
  echo "stage-libs: ldd $binary failed: $listing" >&2
  exit 1
fi
if printf '%s\n' "$listing" | grep -q 'not found'; then
  echo "stage-libs: $binary needs libraries this host lacks:" >&2
  printf '%s\n' "$listing" | grep 'not found' >&2
  exit 1
fi

rm -rf "$context"
mkdir -p "$context/rootfs"
cp "$binary" "$context/appapi-dsp"
chmod 0755 "$context/appapi-dsp"

# Lines look like "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)",
# or "/lib64/ld-linux-x86-64.so.2 (0x…)" for the dynamic loader; the
# kernel's linux-vdso.so.1 has no file and is skipped.
printf '%s\n' "$listing" | awk '
  $2 == "=>" && $3 ~ /^\// { print $3; next }
  $1 ~ /^\// { print $1 }
' | while read -r library; do
  mkdir -p "$context/rootfs$(dirname "$library")"
  # -L copies the file a symbolic link points to, under the link's name.
  cp -L "$library" "$context/rootfs$library"
  echo "stage-libs: $library"
done
