#!/usr/bin/env bash
# Mesa lavapipe (CPU Vulkan driver) from <codename>-backports for Dawn, without touching /etc/apt or
# installing anything: a private apt configuration downloads mesa-vulkan-drivers (and any library it
# needs at a newer version than the system has) into .cache/lavapipe/, `dpkg -x` unpacks it there, and
# .cache/lavapipe/lvp_icd.json points the Vulkan loader at the unpacked libvulkan_lvp.so.
# Debian bookworm's own lavapipe (22.3.6) is refused by Dawn; the backports one (25.x) works.
#
#   bash scripts/lavapipe.sh            # fetch once (idempotent), then print the environment, e.g.
#                                       #   export VK_ICD_FILENAMES=/…/.cache/lavapipe/lvp_icd.json
#                                       #   export LD_LIBRARY_PATH=/…/.cache/lavapipe/root/usr/lib/x86_64-linux-gnu
#   eval "$(bash scripts/lavapipe.sh)"  # use it in this shell
#   bash scripts/lavapipe.sh --refresh  # download again (a newer backport)
#   bash scripts/lavapipe.sh --check    # exit 0 if it is set up, 1 if not (no network)
# Progress and errors go to stderr; stdout has only the export lines. Exits non-zero (nothing written
# to lvp_icd.json) when backports cannot be reached or the driver does not work with Dawn: callers then
# use SwiftShader (scripts/gpu-env.sh, src/gpu/node.ts).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$repo/.cache/lavapipe
icd=$dir/lvp_icd.json
icdnew=$dir/lvp_icd.new.json  # the Vulkan loader only reads names ending in .json
envfile=$dir/env.sh
log() { echo "lavapipe: $*" >&2; }
die() { echo "lavapipe: error: $*" >&2; exit 1; }

mode=${1:-}
case $mode in ''|--refresh|--check) ;; *) die "unknown argument '$mode' (use --refresh or --check)";; esac

if [ "$mode" != --refresh ] && [ -s "$icd" ] && [ -s "$envfile" ]; then
  lib=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$icd")
  if [ -f "$lib" ]; then
    [ "$mode" = --check ] && exit 0
    cat "$envfile"; exit 0
  fi
fi
[ "$mode" = --check ] && exit 1

for tool in apt-get apt-cache dpkg dpkg-deb dpkg-query ldd; do
  command -v "$tool" >/dev/null || die "$tool is missing (this script needs a Debian-based system)"
done
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || die "the Vulkan loader is missing: apt-get install -y libvulkan1"

# The Debian mirror and release in use (deb822 .sources or one-line .list), e.g. http://deb.debian.org/debian bookworm.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
mirror=$(
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v s="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } if ($(i+1) == s) { print $i; exit } }'
)
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # One stanza per paragraph: the first URI of a stanza whose Suites include the release.
    mirror=$(awk -v s="$codename" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (j = 1; j <= NF; j++) {
          if ($j ~ /^URIs:/) { split(substr($j, 6), u, " "); for (k in u) if (u[k] != "") { uri = u[k]; break } }
          if ($j ~ /^Suites:/) { n = split(substr($j, 8), t, " "); for (k = 1; k <= n; k++) if (t[k] == s) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' "$f" || true)
    [ -n "$mirror" ] && break
  done
fi
mirror=${ATLAS_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}  # ATLAS_DEBIAN_MIRROR overrides
mirror=${mirror%/}
suite=$codename-backports
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""; [ -f "$keyring" ] && signed="[signed-by=$keyring] "

# Private apt: own sources, lists, cache and preferences; the system's dpkg status is only read.
apt=$dir/apt
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$dir/debs"
printf 'deb %s%s %s main\ndeb %s%s %s main\n' "$signed" "$mirror" "$suite" "$signed" "$mirror" "$codename" > "$apt/etc/sources.list"
: > "$apt/etc/preferences"
aptopts=(
  -o "Dir::Etc::sourcelist=$apt/etc/sources.list" -o "Dir::Etc::sourceparts=$apt/etc/sources.list.d"
  -o "Dir::Etc::preferences=$apt/etc/preferences" -o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
  -o "Dir::State=$apt/state" -o "Dir::State::status=/var/lib/dpkg/status" -o "Dir::Cache=$apt/cache"
  -o "APT::Sandbox::User=$(id -un)" -o "Acquire::Retries=2" -o "Acquire::http::Timeout=30"
  -o "Debug::NoLocking=1" -q
)

log "reading $mirror $suite and $codename (private apt lists in ${apt#"$repo"/})"
if ! apt-get "${aptopts[@]}" update >"$dir/apt-update.log" 2>&1 || grep -q '^[EW]: Failed to fetch' "$dir/apt-update.log"; then
  sed 's/^/  /' "$dir/apt-update.log" >&2
  die "cannot read $mirror $suite (backports unreachable?); use SwiftShader (ATLAS_VULKAN=swiftshader)"
fi
# Candidate versions come from backports where it has the package (APT::Default-Release).
aptopts+=(-o "APT::Default-Release=$suite")
bpo=$(apt-cache "${aptopts[@]}" madison mesa-vulkan-drivers | awk -F'|' -v s="$suite" '$3 ~ s { gsub(/ /, "", $2); print $2; exit }')
[ -n "$bpo" ] || die "mesa-vulkan-drivers is not in $mirror $suite; use SwiftShader (ATLAS_VULKAN=swiftshader)"

# Downloads one package (the candidate: backports if it has it) into debs/ and prints the file.
fetch() {
  local pkg=$1 ver file
  ver=$(apt-cache "${aptopts[@]}" policy "$pkg" | awk '/Candidate:/ { print $2; exit }')
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $pkg in $mirror $suite/$codename"
  file=$(ls "$dir/debs/${pkg}_"*"_"*.deb 2>/dev/null | while read -r f; do
    [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && echo "$f"; done | head -n1)
  if [ -z "$file" ]; then
    rm -f "$dir/debs/${pkg}_"*.deb
    (cd "$dir/debs" && apt-get "${aptopts[@]}" download "$pkg=$ver" >&2) || die "downloading $pkg $ver failed"
    file=$(ls "$dir/debs/${pkg}_"*.deb | head -n1)
  fi
  echo "$file"
}

# Is the dependency "pkg (op version)" met by what dpkg has installed?
installed_ok() {
  local pkg op ver have
  read -r pkg op ver <<<"$(echo "$1" | sed 's/[()]//g; s/:any//')"
  have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$pkg" 2>/dev/null | awk '$1 ~ /^[ih]i/ { print $2; exit }')
  [ -n "$have" ] || return 1
  [ -z "$op" ] && return 0
  case $op in '>=') op=ge;; '<=') op=le;; '=') op=eq;; '>>') op=gt;; '<<') op=lt;; esac
  dpkg --compare-versions "$have" "$op" "$ver"
}

# mesa-vulkan-drivers, plus every dependency (transitively) the system does not satisfy at the version
# asked for. The Vulkan loader stays the system's (Dawn loads libvulkan.so.1 itself).
log "mesa-vulkan-drivers $bpo from $suite"
declare -A want=([mesa-vulkan-drivers]=1)
queue=(mesa-vulkan-drivers)
debs=()
while [ ${#queue[@]} -gt 0 ]; do
  pkg=${queue[0]}; queue=("${queue[@]:1}")
  deb=$(fetch "$pkg")
  debs+=("$deb")
  deps=$(dpkg-deb -f "$deb" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' || true)
  while IFS= read -r dep; do
    [ -n "$dep" ] || continue
    ok=0; first=""
    IFS='|' read -ra alts <<<"$dep"
    for alt in "${alts[@]}"; do
      alt=$(echo "$alt" | sed 's/^ *//; s/ *$//')
      [ -n "$first" ] || first=${alt%% *}
      if installed_ok "$alt"; then ok=1; break; fi
    done
    [ $ok = 1 ] && continue
    first=${first%:any}
    case $first in libvulkan1) die "the system's libvulkan1 is older than $dep asks: apt-get install -y libvulkan1";; esac
    [ -n "${want[$first]:-}" ] && continue
    log "  + $first (needs $dep; the system's is missing or older)"
    want[$first]=1; queue+=("$first")
  done <<<"$deps"
done

# Unpack into a fresh root, keep only lavapipe among the drivers.
rm -rf "$dir/root.new" && mkdir -p "$dir/root.new"
for deb in "${debs[@]}"; do dpkg -x "$deb" "$dir/root.new"; done
lib=$(find "$dir/root.new" -name libvulkan_lvp.so -type f | head -n1)
[ -n "$lib" ] || die "libvulkan_lvp.so not found in mesa-vulkan-drivers $bpo"
libdir=$(dirname "$lib")
find "$libdir" -maxdepth 1 \( -name 'libvulkan_*.so' -o -name 'libVkLayer_*.so' \) ! -name libvulkan_lvp.so -delete
rm -rf "$dir/root" && mv "$dir/root.new" "$dir/root"
lib=${lib/root.new/root}; libdir=$(dirname "$lib")

# Every library it links must resolve (with the unpacked ones first) and no symbol may be missing.
missing=$(LD_LIBRARY_PATH=$libdir ldd -r "$lib" 2>&1 | grep -E 'not found|undefined symbol' || true)
[ -z "$missing" ] || die "libvulkan_lvp.so does not link here:
$missing"

api=$(sed -n 's/.*"api_version": *"\([^"]*\)".*/\1/p' "$dir"/root/usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1)
cat >"$icdnew" <<EOF
{
    "file_format_version": "1.0.0",
    "ICD": {
        "library_path": "$lib",
        "api_version": "${api:-1.3.0}"
    }
}
EOF
printf 'export VK_ICD_FILENAMES=%s\nexport LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n' "$icd" "$libdir" >"$envfile.new"

# Dawn must accept it (it refuses lavapipe 22): ask for an adapter and a device through the npm package.
if [ -d "$repo/node_modules/webgpu" ]; then
  info=$(cd "$repo" && VK_ICD_FILENAMES=$icdnew LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} timeout 120 node --input-type=module -e "
      import { create, globals } from 'webgpu'; Object.assign(globalThis, globals);
      const a = await create([]).requestAdapter();
      if (!a) { console.error('no adapter'); process.exit(1); }
      const d = await a.requestDevice(); d.destroy();
      console.log([a.info.vendor, a.info.architecture, a.info.device, a.info.description].filter(Boolean).join(' / '));
      process.exit(0);" 2>"$dir/dawn-check.log") || { rm -f "$icdnew" "$envfile.new"; die "Dawn does not accept this lavapipe:
$info$(grep -v 'artificially reduced' "$dir/dawn-check.log")"; }
  log "Dawn adapter: $info"
fi
mv "$icdnew" "$icd"; mv "$envfile.new" "$envfile"
echo "$bpo" >"$dir/version"
log "ready: ${icd#"$repo"/} (Mesa $bpo)"
cat "$envfile"
