#!/usr/bin/env bash
# Prints the size of a built dev image (images/go-remote) and a Markdown table of its layers (from `podman history`),
# and checks every layer the image adds for caches left behind: apt's lists and package cache, .deb files, Go's
# build and module caches (and the Containerfile's temporary GOPATH), pip caches. The figures in
# images/go-remote/README.md come from this script.
#
#   bash tools/image/layers.sh <image> [<base image>]
#
# With <base image>, the base's layers are one row of the table, the cache check skips them (they are the base's
# business), and the growth over the base is printed. Needs podman (root here) and node. Exit 1 when a layer the
# image adds holds a cache, 2 on bad usage.
set -euo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
image=$1
base=${2:-}
command -v podman >/dev/null || { echo "layers.sh: needs podman" >&2; exit 2; }
command -v node >/dev/null || { echo "layers.sh: needs node (to read podman's JSON)" >&2; exit 2; }

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

size=$(podman image inspect --format '{{.Size}}' "$image")
layers=$(podman image inspect --format '{{len .RootFS.Layers}}' "$image")
base_layers=0
base_history=0
if [[ -n $base ]]; then
  base_size=$(podman image inspect --format '{{.Size}}' "$base")
  base_layers=$(podman image inspect --format '{{len .RootFS.Layers}}' "$base")
  base_history=$(podman history --format '{{.ID}}' "$base" | wc -l)
fi

echo "image: ${image}"
echo "size: $(mb "$size") (${size} bytes, podman image inspect), ${layers} layers"
if [[ -n $base ]]; then
  echo "base: ${base}: $(mb "$base_size"), ${base_layers} layers"
  echo "added to the base: $(mb $((size - base_size)))"
fi
echo
# The table: newest step last; steps that add no bytes (ENV, USER, ARG ...) are left out; the base is one row.
# shellcheck disable=SC2016 # JavaScript, not shell
podman history --format json "$image" | node -e '
  const [baseHistory, base] = [Number(process.argv[1]), process.argv[2]];
  const h = JSON.parse(require("fs").readFileSync(0, "utf8")).reverse();
  const mb = b => `${(b / 1e6).toFixed(1)} MB`;
  const rows = [];
  const own = baseHistory ? h.slice(baseHistory) : h;
  if (baseHistory) rows.push([mb(h.slice(0, baseHistory).reduce((s, e) => s + e.size, 0)), `the base, ${base}`]);
  for (const e of own) {
    if (!e.size) continue;
    let step = String(e.CreatedBy || e.createdBy || "").replace(/^\/bin\/sh -c (#\(nop\) )?/, "").replace(/^\|\d+ (\S+=\S* )*/, "RUN ");
    const what = [
      [/go-remote\/versions/, "/usr/share/go-remote/versions"],
      [/apt-get install/, "Debian packages (apt-get install ...; lists and archives removed in the same step)"],
      [/delve\/cmd\/dlv/, "delve (go install, stripped; caches removed in the same step)"],
      [/gopls/, "gopls (go install, stripped; caches removed in the same step)"],
      [/kubectl/, "kubectl (checksummed download)"],
      [/useradd/, "user gopher, /workspace, /etc/passwd 0664"],
      [/COPY/, step.replace(/COPY (file|dir):[0-9a-f]+ in /, "COPY ").trim()],
    ].find(([re]) => re.test(step));
    rows.push([mb(e.size), what ? what[1] : step.slice(0, 100)]);
  }
  console.log("| size | step |");
  console.log("| ---: | --- |");
  for (const [s, w] of rows) console.log(`| ${s} | ${w.replace(/\|/g, "\\|")} |`);
' "$base_history" "$base"
echo

# The cache check reads the layers themselves (podman save, uncompressed), not the final file system: a cache
# deleted by a later step still weighs in the layer that wrote it.
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
podman save -q --format docker-dir -o "$work/image" "$image" >/dev/null
caches='^(var/lib/apt/lists/[^/]*_[^/]*|var/cache/apt/.*\.bin|.*\.deb|.*/\.cache/go-build/.*|.*/go-build[0-9]*/.*|tmp/go-tools.*|root/go/pkg/mod/.*|.*/pkg/mod/cache/download/.*|.*/\.cache/pip/.*|root/\.cache/.*)$'
mapfile -t digests < <(node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const l of m.layers) console.log(l.digest.replace(/^sha256:/, ""));
' "$work/image/manifest.json")
found=0
for i in "${!digests[@]}"; do
  ((i >= base_layers)) || continue
  # Whiteouts (.wh.<name>) record deletions of the base's files, not content.
  hits=$(tar -tf "$work/image/${digests[$i]}" | sed 's|^\./||' | grep -v '/\.wh\.[^/]*$' | grep -E "$caches" || true)
  if [[ -n $hits ]]; then
    found=1
    echo "layer $((i + 1)) of ${#digests[@]} holds caches ($(printf '%s\n' "$hits" | wc -l) files), e.g.:"
    printf '%s\n' "$hits" | head -n 5 | sed 's/^/  /'
  fi
done
if [[ $found = 0 ]]; then
  echo "no caches in the $((${#digests[@]} - base_layers)) layers the image adds (apt lists and archives, .deb files, Go build and module caches, pip caches)"
fi
exit "$found"
