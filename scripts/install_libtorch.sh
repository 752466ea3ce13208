#!/usr/bin/env bash
# install_libtorch.sh — install libtorch 2.1.0 (CPU) from PyPI wheels and a
# patched copy of gotch v0.9.1, then point this checkout at them via go.work.
#
#   bash scripts/install_libtorch.sh            # CPU (default)
#   bash scripts/install_libtorch.sh --cuda     # GPU variant (untested here, see README)
#   LIBTORCH=/opt/libtorch bash scripts/install_libtorch.sh
#
# Where things go (about 1.2 GB for CPU, of which the cached wheels are 0.7 GB):
#   $LIBTORCH/lib      libtorch_cpu.so, libc10.so, libgomp, libcudart.so.12, libcupti.so.12
#   $LIBTORCH/include  libtorch headers (to compile gotch's C++ glue)
#   $LIBTORCH/gloo     gloo headers from Debian's libgloo-dev (for c10d's Gloo backend)
#   $LIBTORCH/gotch    gotch v0.9.1 copied from the Go module cache and patched
#                      by scripts/gotch/patch.sh (see scripts/gotch/README.md)
#   <repo>/go.work     git-ignored: `use .` + replace gotch => $LIBTORCH/gotch
# Default LIBTORCH: ${XDG_CACHE_HOME:-$HOME/.cache}/gotrl/libtorch-2.1.0-cpu (-cuda with --cuda).
#
# Idempotent: a second run checks the stamps and returns in about a second.
set -euo pipefail

mode=cpu
for a in "$@"; do
  case "$a" in
    --cuda) mode=cuda ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install_libtorch: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${LIBTORCH:-${XDG_CACHE_HOME:-$HOME/.cache}/gotrl/libtorch-2.1.0-$mode}
gotch_version=v0.9.1
# The stamp names everything that changes the result: bump by editing the patch.
patch_sum=$(cat "$root"/scripts/gotch/* | sha256sum | cut -c1-16)
stamp_lib="$prefix/.libtorch-2.1.0-$mode"
stamp_gotch="$prefix/gotch/.gotrl-patch-$patch_sum"
# gloo's headers, for c10d's ProcessGroupGloo.hpp (declarations only; see
# scripts/gotch/README.md): Debian bookworm's libgloo-dev, pinned.
gloo_version=0.0~git20220518.5b14351-3
gloo_deb="libgloo-dev_${gloo_version}_amd64.deb"
gloo_sum=80529c9fd8af452faf489e686b94bf87075965c40673803810c4f41634b1e299
stamp_gloo="$prefix/gloo/.libgloo-dev-$gloo_version"

step() { printf '==> %s\n' "$*"; }
die() { printf 'install_libtorch: %s\n' "$*" >&2; exit 1; }

write_gowork() {
  local want
  want=$(printf 'go %s\n\nuse .\n\nreplace github.com/sugarme/gotch %s => %s\n' \
    "$(sed -n 's/^go //p' "$root/go.mod")" "$gotch_version" "$prefix/gotch")
  if [ ! -f "$root/go.work" ] || [ "$(cat "$root/go.work")" != "$want" ]; then
    printf '%s\n' "$want" > "$root/go.work"
    step "wrote $root/go.work (replace gotch => $prefix/gotch)"
  fi
}

if [ -f "$stamp_lib" ] && [ -f "$stamp_gloo" ] && [ -f "$stamp_gotch" ]; then
  write_gowork
  echo "libtorch 2.1.0 ($mode) and patched gotch $gotch_version already installed in $prefix"
  exit 0
fi

command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$prefix/wheels" "$prefix/lib"

# --- 1. libtorch from PyPI wheels -------------------------------------------
# pinned: name==version sha256
wheels=(
  "torch==2.1.0 2224622407ca52611cbc5b628106fde22ed8e679031f5a99ce286629fc696128"
  "nvidia-cuda-runtime-cu12==12.1.105 6e258468ddf5796e25f1dc591a31029fa317d97a0a94ed93468fc86301d61e40"
  "nvidia-cuda-cupti-cu12==12.1.105 e54fde3983165c624cb79254ae9818a456eb6e87a7fd4d56a2352c24ee542d7e"
)
if [ "$mode" = cuda ]; then
  # torch 2.1.0's own CUDA 12.1 dependencies (versions from its wheel metadata;
  # not hash-pinned: this mode cannot be exercised on the CPU-only build machines).
  wheels+=(
    "nvidia-cublas-cu12==12.1.3.1 -" "nvidia-cudnn-cu12==8.9.2.26 -" "nvidia-cufft-cu12==11.0.2.54 -"
    "nvidia-curand-cu12==10.3.2.106 -" "nvidia-cusolver-cu12==11.4.5.107 -" "nvidia-cusparse-cu12==12.1.0.106 -"
    "nvidia-nccl-cu12==2.18.1 -" "nvidia-nvtx-cu12==12.1.105 -" "nvidia-cuda-nvrtc-cu12==12.1.105 -"
    "nvidia-nvjitlink-cu12==12.1.105 -"
  )
fi

if [ ! -f "$stamp_lib" ]; then
  pip=(python3 -m pip)
  python3 -m pip --version >/dev/null 2>&1 || pip=(pip3)
  "${pip[@]}" --version >/dev/null 2>&1 || die "pip is needed to download the libtorch wheels (install python3-pip)"
  for w in "${wheels[@]}"; do
    spec=${w% *} sum=${w#* }
    name=${spec%%==*} version=${spec#*==}
    file=$(ls "$prefix/wheels/$(echo "$name" | tr - _)-$version-"*.whl 2>/dev/null | head -1 || true)
    if [ -z "$file" ]; then
      step "downloading $spec from PyPI"
      "${pip[@]}" download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
        --implementation cp --platform manylinux1_x86_64 --platform manylinux2014_x86_64 \
        -d "$prefix/wheels" "$spec" \
        || die "pip could not download $spec (is the PyPI registry reachable?)"
      file=$(ls "$prefix/wheels/$(echo "$name" | tr - _)-$version-"*.whl | head -1)
    else
      step "using cached $(basename "$file")"
    fi
    if [ "$sum" != - ]; then
      got=$(sha256sum "$file" | cut -d' ' -f1)
      [ "$got" = "$sum" ] || { rm -f "$file"; die "$(basename "$file"): sha256 $got, want $sum (removed; run again)"; }
      step "sha256 ok: $(basename "$file")"
    fi
  done

  step "extracting libraries and headers into $prefix"
  tmp=$(mktemp -d "$prefix/extract.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  torchwhl=$(ls "$prefix"/wheels/torch-2.1.0-*.whl)
  libs=(torch/lib/libtorch_cpu.so torch/lib/libc10.so 'torch/lib/libgomp-*.so.1')
  [ "$mode" = cuda ] && libs+=(torch/lib/libtorch_cuda.so torch/lib/libc10_cuda.so torch/lib/libtorch.so)
  unzip -q -o "$torchwhl" "${libs[@]}" 'torch/include/*' -d "$tmp" || die "unzip failed on $torchwhl"
  # CPU needs only the two CUDA libraries libtorch_cpu.so names as NEEDED.
  nvpat='nvidia/*/lib/*.so*'
  [ "$mode" = cpu ] && nvpat='nvidia/*/lib/lib*.so.12'
  for whl in "$prefix"/wheels/nvidia_*.whl; do
    unzip -q -o "$whl" "$nvpat" -d "$tmp" || die "unzip failed on $whl"
  done
  if [ "$mode" = cuda ]; then # headers for c10d's ProcessGroupNCCL (nccl.h, cuda_runtime_api.h, …)
    for whl in "$prefix"/wheels/nvidia_*.whl; do
      unzip -q -o "$whl" 'nvidia/*/include/*' -d "$tmp" 2>/dev/null || true
    done
    rm -rf "$prefix/nvidia"
    [ -d "$tmp/nvidia" ] && cp -r "$tmp/nvidia" "$prefix/nvidia" && find "$prefix/nvidia" -name '*.so*' -delete
  fi
  mv -f "$tmp"/torch/lib/* "$prefix/lib/"
  mv -f "$tmp"/nvidia/*/lib/*.so* "$prefix/lib/"
  rm -rf "$prefix/include"
  mv "$tmp/torch/include" "$prefix/include"
  rm -rf "$tmp"; trap - EXIT
  touch "$stamp_lib"
else
  step "libtorch 2.1.0 ($mode) already in $prefix/lib"
fi

# --- 1b. gloo headers --------------------------------------------------------
# The wheel's c10d headers include gloo's, which it does not ship. gotrl's
# shim uses them for declarations only, so Debian's packaged snapshot serves
# (torch 2.1.0 pins a newer gloo commit; scripts/gotch/README.md says why the
# difference does not matter). Fetched with apt-get download: no root needed
# when the package lists are present; as root, apt-get update runs first if
# the download fails. Kept in $prefix/wheels like the wheels.
if [ ! -f "$stamp_gloo" ]; then
  deb="$prefix/wheels/$gloo_deb"
  if [ ! -f "$deb" ]; then
    command -v apt-get >/dev/null ||
      die "gloo headers: apt-get not found; download $gloo_deb (Debian bookworm, pool/main/g/gloo) into $prefix/wheels/ and run again"
    step "downloading libgloo-dev $gloo_version (gloo headers) with apt-get"
    fetch() { (cd "$prefix/wheels" && apt-get download -q "libgloo-dev=$gloo_version" >/dev/null 2>&1); }
    fetch || { [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && fetch; } ||
      die "apt-get could not download libgloo-dev=$gloo_version (run apt-get update as root, or put $gloo_deb into $prefix/wheels/)"
  fi
  got=$(sha256sum "$deb" | cut -d' ' -f1)
  [ "$got" = "$gloo_sum" ] || { rm -f "$deb"; die "$gloo_deb: sha256 $got, want $gloo_sum (removed; run again)"; }
  step "sha256 ok: $gloo_deb"
  command -v dpkg-deb >/dev/null || die "gloo headers: dpkg-deb is needed to unpack $gloo_deb"
  tmp=$(mktemp -d "$prefix/extract.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  dpkg-deb -x "$deb" "$tmp" || die "dpkg-deb could not unpack $deb"
  [ -f "$tmp/usr/include/gloo/rendezvous/store.h" ] || die "$gloo_deb has no usr/include/gloo"
  rm -rf "$prefix/gloo"
  mkdir -p "$prefix/gloo/include"
  mv "$tmp/usr/include/gloo" "$prefix/gloo/include/gloo"
  rm -rf "$tmp"; trap - EXIT
  touch "$stamp_gloo"
fi

# --- 2. patched gotch --------------------------------------------------------
step "copying gotch $gotch_version from the Go module cache"
# From a scratch module: the repo's go.mod replaces gotch with a stand-in.
scratch=$(mktemp -d)
src=$(cd "$scratch" && go mod init gotrl-install >/dev/null 2>&1 && GOWORK=off GOFLAGS=-mod=mod \
  go mod download -json "github.com/sugarme/gotch@$gotch_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
rm -rf "$scratch"
[ -n "$src" ] && [ -d "$src" ] || die "go mod download of gotch $gotch_version failed (is the Go module proxy reachable?)"
rm -rf "$prefix/gotch.tmp"
cp -r "$src" "$prefix/gotch.tmp"
chmod -R u+w "$prefix/gotch.tmp"
step "patching gotch (scripts/gotch/patch.sh, $mode)"
bash "$root/scripts/gotch/patch.sh" "$prefix/gotch.tmp" "$prefix" "$mode"
touch "$prefix/gotch.tmp/.gotrl-patch-$patch_sum"
rm -rf "$prefix/gotch"
mv "$prefix/gotch.tmp" "$prefix/gotch"

write_gowork
step "done: libtorch 2.1.0 ($mode) in $prefix; first build compiles gotch's C++ (a few minutes on 2 cores)"
