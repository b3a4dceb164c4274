#!/usr/bin/env bash
# A real single-node Kubernetes 1.27 cluster, isolated in a network namespace and a mount namespace of its
# own, for the cluster tier and anyone who needs a cluster on this machine. See test/cluster/README.md.
#
#   bash test/cluster/cluster.sh up            # prints the env file of the new cluster as its last line
#   . <env file>                               # KUBECONFIG, CLUSTER_NODE_IP, CLUSTER_NETNS, ...
#   bash test/cluster/cluster.sh exec <env file> -- <command...>   # in the node's network and mount namespaces
#   bash test/cluster/cluster.sh import <env file> <docker-archive tar>...   # into containerd (k8s.io)
#   bash test/cluster/cluster.sh import-podman <env file> <podman image> [<reference>...]
#   bash test/cluster/cluster.sh down <env file | run id>
#   bash test/cluster/cluster.sh cleanup       # removes what killed runs left behind (also done by up)
#   bash test/cluster/cluster.sh list          # the runs on this machine, alive or left over
#
# A cluster belongs to an owner process (CLUSTER_OWNER_PID, default: the process that ran `up`); once the
# owner is gone, the next `up` or `cleanup` on the machine removes it. Everything is stopped by PID, and
# only processes that are provably the run's (recorded PID with its start time, a process in the run's
# cgroups or network namespace) are signalled.
#
# Environment for `up`: CLUSTER_OWNER_PID, CLUSTER_GIT_HOSTS (names CoreDNS resolves to the node IP;
# default github.com), CLUSTER_KEEP_ON_FAILURE=1 (leave a cluster that failed to start, for inspection),
# CLUSTER_CONTAINERD_TMPFS=0|1 (containerd's store in memory; default: when 8 GiB are available).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=cdk8s-cluster
runs_host=/run/$prefix # host side: one directory per run, <id>/run is the node's /run, <id>/meta the records
runs_state=$repo/.cache/cluster/runs

# The cluster's addresses, inside its own network namespace (nothing else uses them there).
node_ip=10.244.0.1
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/16
api_ip=10.96.0.1
dns_ip=10.96.0.10
node_name=node
api_port=6443

say() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- processes ---------------------------------------------------------------------------------------------

# starttime <pid>: the process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), which
# tells a process from a later one that reuses its PID. Empty when there is no such process.
starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields
  set -- $stat
  echo "${20}"
}

# alive <pid> <starttime>
alive() { [[ -n $1 && -n $2 && "$(starttime "$1")" == "$2" ]]; }

# ours <pid> <starttime> <id>: alive, and its command line names the run (every daemon's names the run's
# state directory, the holder's its id)
ours() {
  alive "$1" "$2" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$3"
}

# procs_in_netns <netns inode>: PIDs of every process whose network namespace is that one
procs_in_netns() {
  local want=$1 p
  for p in /proc/[0-9]*; do
    [[ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" == "$want" ]] && echo "${p#/proc/}"
  done
  return 0
}

# procs_in_cgroups <id>: PIDs in the run's cgroups (every hierarchy), that is every container of its pods
procs_in_cgroups() {
  local roots=(/sys/fs/cgroup/*/"$prefix-$1")
  [[ -d ${roots[0]} ]] || return 0
  { find "${roots[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null || true; } | sort -un
}

# stop_recorded <meta dir> <grace seconds> <name...>: SIGTERM the recorded daemons by name (all when none is
# named), then SIGKILL those still there after the grace period.
stop_recorded() {
  local meta=$1 grace=$2 name pid start rest id
  shift 2
  id=$(basename "$(dirname "$meta")")
  [[ -f $meta/pids ]] || return 0
  local pids=()
  while read -r name pid start rest; do
    if [[ $# -gt 0 ]]; then
      case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    if ours "$pid" "$start" "$id"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid:$start")
    fi
  done <"$meta/pids"
  local deadline=$((SECONDS + grace)) left p
  while :; do
    left=()
    for p in "${pids[@]}"; do alive "${p%%:*}" "${p#*:}" && left+=("$p"); done
    [[ ${#left[@]} -eq 0 ]] && return 0
    if ((SECONDS >= deadline)); then
      for p in "${left[@]}"; do alive "${p%%:*}" "${p#*:}" && kill -KILL "${p%%:*}" 2>/dev/null; done
      return 0
    fi
    sleep 0.2
  done
}

# kill_all <what> <command printing PIDs...>: SIGKILL what the command lists until it lists nothing.
kill_all() {
  local what=$1 i pids
  shift
  for i in $(seq 1 100); do
    pids=$("$@" | { grep -vx -e "$$" -e "$BASHPID" || true; } | xargs)
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086 # a list of PIDs
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  say "warning: processes still in $what after 10 s: $pids"
}

# --- teardown ----------------------------------------------------------------------------------------------

# teardown <id>: stops everything of a run and removes its network namespace, cgroups, /run directory and
# state. Safe to call on a half-started or already removed run.
teardown() {
  local id=$1 meta=$runs_host/$1/meta netns=$prefix-$1 state=$runs_state/$1
  [[ -f $meta/state ]] && state=$(cat "$meta/state")
  # node agents and control plane first, so that nothing restarts the pods killed next; the run's state is
  # deleted after, so a short grace period is enough (kube-apiserver can take a minute to drain its watches)
  stop_recorded "$meta" 3 kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver
  kill_all "the cgroups of $id" procs_in_cgroups "$id"
  stop_recorded "$meta" 5 etcd containerd
  if [[ -e /run/netns/$netns ]]; then
    local ino
    ino=$(stat -L -c %i "/run/netns/$netns")
    # containerd's shims, the node holder, any command run with `exec`
    kill_all "network namespace $netns" procs_in_netns "$ino"
  fi
  stop_recorded "$meta" 5 # whatever else was recorded (the holder)
  [[ -e /run/netns/$netns ]] && { ip netns delete "$netns" || say "warning: could not delete network namespace $netns"; }
  local cg
  for cg in /sys/fs/cgroup/*/"$prefix-$id"; do
    [[ -d $cg ]] || continue
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d $cg ]] && say "warning: could not remove cgroup $cg"
  done
  if [[ -d $state ]]; then
    if [[ -d $state/logs && -n ${CLUSTER_LOGS_KEEP:-} ]]; then
      mkdir -p "$CLUSTER_LOGS_KEEP"
      cp -r "$state/logs/." "$CLUSTER_LOGS_KEEP/" 2>/dev/null || true
    fi
    rm -rf "$state"
  fi
  rm -rf "${runs_host:?}/$id"
  rmdir "$runs_host" 2>/dev/null || true # when no other run is left
}

# owner_alive <id>: whether the process that owns the run is still there
owner_alive() {
  local pid start
  read -r pid start <"$runs_host/$1/meta/owner" 2>/dev/null || return 1
  alive "$pid" "$start"
}

# cleanup: removes every run of this machine whose owner is gone, and what a run killed before it wrote
# its records left behind (a network namespace, cgroups or a state directory without a live run).
cleanup() {
  local d id
  for d in "$runs_host"/*/; do
    [[ -d $d ]] || continue
    id=$(basename "$d")
    owner_alive "$id" && continue
    say "removing run $id, whose owner is gone"
    teardown "$id"
  done
  for d in /run/netns/"$prefix"-*; do
    [[ -e $d ]] || continue
    id=${d##*/"$prefix"-}
    [[ -d $runs_host/$id ]] && continue
    say "removing network namespace ${d##*/} of a run that left no records"
    teardown "$id"
  done
  for d in /sys/fs/cgroup/*/"$prefix"-*; do
    [[ -d $d ]] || continue
    id=${d##*/"$prefix"-}
    [[ -d $runs_host/$id ]] && continue
    teardown "$id"
  done
  for d in "$runs_state"/*/; do
    [[ -d $d ]] || continue
    id=$(basename "$d")
    [[ -d $runs_host/$id ]] && continue
    say "removing state of run $id"
    teardown "$id"
  done
}

list() {
  local d id
  for d in "$runs_host"/*/; do
    [[ -d $d ]] || continue
    id=$(basename "$d")
    if owner_alive "$id"; then
      echo "$id owner $(cut -d' ' -f1 "$d/meta/owner") alive, env $(cat "$d/meta/state" 2>/dev/null)/env"
    else
      echo "$id left over (owner gone)"
    fi
  done
}

# --- helpers for a running cluster -------------------------------------------------------------------------

load_env() {
  local env=$1
  [[ -f $env ]] || die "no env file '$env' (the last line that 'cluster.sh up' printed)"
  # shellcheck source=/dev/null
  . "$env"
  alive "$CLUSTER_NODE_PID" "$CLUSTER_NODE_START" || die "the cluster of $env is not running"
}

# in_node <command...>: runs a command in the node's network and mount namespaces
in_node() {
  nsenter --target "$CLUSTER_NODE_PID" --mount --net --wd="$PWD" -- "$@"
}

import_tars() {
  local tar started
  for tar in "$@"; do
    started=$(now)
    ctr --address "$CLUSTER_CONTAINERD_SOCKET" --namespace k8s.io images import "$tar" >/dev/null ||
      die "ctr images import $tar failed"
    say "imported $(basename "$tar") in $(since "$started") s"
  done
}

# import_podman <podman image> [<reference>...]: the image, under each reference (default: its own name),
# streamed from `podman save` into containerd's k8s.io namespace, where kubelet finds it
import_podman() {
  local image=${1:?usage: cluster.sh import-podman <env file> <podman image> [<reference>...]} ref started
  shift
  local refs=("$@") tagged=()
  [[ ${#refs[@]} -gt 0 ]] || refs=("$image")
  for ref in "${refs[@]}"; do
    if [[ $ref != "$image" ]]; then
      podman tag "$image" "$ref" || die "podman tag $image $ref failed"
      tagged+=("$ref")
    fi
  done
  started=$(now)
  local status=0
  podman save --quiet --format docker-archive --multi-image-archive "${refs[@]}" |
    ctr --address "$CLUSTER_CONTAINERD_SOCKET" --namespace k8s.io images import - >/dev/null || status=$?
  # the extra names were only for the archive: leave podman's images as they were
  for ref in "${tagged[@]}"; do podman untag "$image" "$ref" >/dev/null 2>&1 || true; done
  [[ $status -eq 0 ]] || die "podman save ${refs[*]} | ctr images import failed"
  say "imported $image as ${refs[*]} in $(since "$started") s"
}

# --- up ----------------------------------------------------------------------------------------------------

need() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null || die "'$c' is not on PATH"; done
}

# pki <dir>: the cluster's own CA (one per run) and every certificate of its components
pki() {
  local dir=$1
  mkdir -p "$dir"
  ( 
    cd "$dir"
    umask 077
    key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }
    key ca
    openssl req -new -x509 -sha256 -days 30 -key ca.key -subj "/CN=cdk8s-cluster-$id" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null
    # cert <name> <subject> <extendedKeyUsage> [<subjectAltName>]
    cert() {
      key "$1"
      {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$3"
        [[ -n ${4:-} ]] && echo "subjectAltName=$4"
      } >"$1.ext"
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
      openssl x509 -req -sha256 -days 30 -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    cert apiserver "/CN=kube-apiserver" serverAuth \
      "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$api_ip,IP:$node_ip,IP:127.0.0.1"
    cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
    cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
    cert controller-manager "/CN=system:kube-controller-manager" clientAuth
    cert scheduler "/CN=system:kube-scheduler" clientAuth
    cert kube-proxy "/CN=system:kube-proxy" clientAuth
    cert kubelet-client "/O=system:nodes/CN=system:node:$node_name" clientAuth
    cert kubelet "/CN=$node_name" serverAuth "DNS:$node_name,IP:$node_ip"
    key sa
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 644 ./*.crt sa.pub
  )
}

# kubeconfig <file> <client cert name>
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cdk8s-cluster
  cluster:
    server: "https://$node_ip:$api_port"
    certificate-authority: "$state/pki/ca.crt"
users:
- name: $2
  user:
    client-certificate: "$state/pki/$2.crt"
    client-key: "$state/pki/$2.key"
contexts:
- name: cdk8s-cluster
  context:
    cluster: cdk8s-cluster
    user: $2
current-context: cdk8s-cluster
EOF
}

# spawn <name> <command...>: starts a daemon in the node's namespaces, its own session, output to
# logs/<name>.log, and records its PID and start time.
spawn() {
  local name=$1 pid
  shift
  setsid nsenter --target "$holder" --mount --net --wd="$state" -- "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$name $pid $(starttime "$pid")" >>"$meta/pids"
}

# wait_for <what> <seconds> <daemon name or -> <command...>: polls until the command succeeds; fails early
# when the daemon exited.
wait_for() {
  local what=$1 timeout=$2 daemon=$3 started
  shift 3
  started=$(now)
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ $daemon != - ]]; then
      local pid start
      read -r _ pid start _ < <(grep "^$daemon " "$meta/pids")
      alive "$pid" "$start" || { tail -n 30 "$state/logs/$daemon.log" >&2; die "$daemon exited while waiting for $what"; }
    fi
    ((SECONDS < deadline)) || {
      [[ $daemon != - ]] && tail -n 30 "$state/logs/$daemon.log" >&2
      die "timed out after $timeout s waiting for $what"
    }
    sleep 0.25
  done
  say "$what after $(since "$started") s"
}

# node_resolves <name> <address>: getent on the node (its resolv.conf names CoreDNS) answers the address
node_resolves() { [[ "$(nsenter --target "$holder" --mount --net -- getent hosts "$1")" == "$2 "* ]]; }

kctl() { nsenter --net="/run/netns/$netns" -- "$k8s_bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }

# up_failed: the EXIT trap of a start that did not finish: removes the run, keeping its logs
up_failed() {
  local status=$?
  [[ $status -eq 0 ]] && return
  say "start failed; the run's logs are kept in $repo/.cache/cluster/failed-$id"
  CLUSTER_LOGS_KEEP=$repo/.cache/cluster/failed-$id teardown "$id"
}

up() {
  [[ $(uname -s) == Linux ]] || die "needs Linux"
  [[ $(id -u) == 0 ]] || die "needs root (network namespaces, mounts, containerd)"
  need nsenter unshare setsid ip iptables conntrack containerd containerd-shim-runc-v2 runc ctr openssl flock \
    mount podman go
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap && -x /usr/lib/cni/loopback ]] ||
    die "the CNI plugins (containernetworking-plugins) are not in /usr/lib/cni"
  case $repo/ in /var/* | /run/* | /proc/*) die "the checkout ($repo) is under a directory the node replaces" ;; esac
  local owner=${CLUSTER_OWNER_PID:-$PPID}
  [[ -n "$(starttime "$owner")" ]] || die "owner process $owner does not exist"

  cleanup

  local started
  started=$(now)
  k8s_bin=$(bash "$repo/tools/k8s/build.sh" | tail -n 1) || die "tools/k8s/build.sh failed"
  local cluster_bin images
  cluster_bin=$(bash "$repo/tools/cluster/build.sh" | tail -n 1) || die "tools/cluster/build.sh failed"
  images=$(bash "$repo/tools/cluster/images.sh" "$cluster_bin" | tail -n 1) || die "tools/cluster/images.sh failed"
  # shellcheck source=/dev/null
  . "$images/images.env"
  local tier_ca
  tier_ca=$(bash "$here/ca.sh") || die "test/cluster/ca.sh failed"
  local build_seconds
  build_seconds=$(since "$started")

  started=$(now)
  id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
  netns=$prefix-$id
  state=$runs_state/$id
  meta=$runs_host/$id/meta
  local node_run=$runs_host/$id/run
  mkdir -p "$meta" "$node_run" "$state"/{logs,etcd,kubelet,containerd/root,cni/net.d,cni/ipam,local-path,manifests,sysctl} \
    "$state"/node-var/{lib,log,tmp,cache}
  chmod 1777 "$state/node-var/tmp"
  chmod 700 "$state/local-path"
  ln -s /run "$state/node-var/run"
  ln -s /run/lock "$state/node-var/lock"
  echo "$owner $(starttime "$owner")" >"$meta/owner"
  echo "$state" >"$meta/state"
  if [[ ${CLUSTER_KEEP_ON_FAILURE:-} != 1 ]]; then
    trap up_failed EXIT
  fi
  say "run $id: state $state, network namespace $netns"

  pki "$state/pki"
  local c
  for c in admin controller-manager scheduler kube-proxy kubelet-client; do kubeconfig "$state/$c.kubeconfig" "$c"; done

  # --- network namespace: loopback, the bridge that is node IP and pod gateway, sysctls of this namespace only
  ip netns add "$netns"
  ip -n "$netns" link set lo up
  ip -n "$netns" link add cni0 type bridge
  ip -n "$netns" addr add "$node_ip/24" dev cni0
  ip -n "$netns" link set cni0 up
  # Service IPs from the node itself (its resolv.conf names CoreDNS at 10.96.0.10): a node usually reaches
  # them through its default route, and kube-proxy's DNAT does the rest; this namespace has no default route.
  ip -n "$netns" route add "$service_cidr" dev cni0 src "$node_ip"
  nsenter --net="/run/netns/$netns" -- sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1 \
    net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1

  # --- cgroups: the node's root in every v1 hierarchy (cpuset needs its CPUs and memory nodes)
  local h
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    [[ ${h##*/} == unified ]] && continue
    [[ -e $h/cgroup.procs ]] || continue
    mkdir -p "$h/$prefix-$id"
    if [[ -e $h/cpuset.cpus ]]; then
      cat "$h/cpuset.cpus" >"$h/$prefix-$id/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$prefix-$id/cpuset.mems"
    fi
  done

  # --- the node: a process that holds the network namespace and a private mount namespace in which /run,
  # /var, /etc/resolv.conf and the kernel tunables kubelet sets are the node's own
  setsid nsenter --net="/run/netns/$netns" -- unshare --mount --propagation private -- \
    bash -c "exec -a $prefix-node-$id sleep infinity" </dev/null >/dev/null 2>&1 &
  holder=$!
  echo "node $holder $(starttime "$holder")" >>"$meta/pids"
  local own_mnt
  own_mnt=$(stat -L -c %i /proc/self/ns/mnt)
  local i
  for i in $(seq 1 100); do
    [[ "$(stat -L -c %i "/proc/$holder/ns/mnt" 2>/dev/null || echo "$own_mnt")" != "$own_mnt" ]] && break
    alive "$holder" "$(sed -n 's/^node [0-9]* //p' "$meta/pids")" || die "the node's holder process exited"
    ((i < 100)) || die "the node's mount namespace did not appear within 10 s"
    sleep 0.1
  done
  # kubelet's tunables, with the values it wants, so that it never writes the machine's
  printf '1\n' >"$state/sysctl/vm.overcommit_memory"
  printf '0\n' >"$state/sysctl/vm.panic_on_oom"
  printf '10\n' >"$state/sysctl/kernel.panic"
  printf '1\n' >"$state/sysctl/kernel.panic_on_oops"
  printf '1000000\n' >"$state/sysctl/kernel.keys.root_maxkeys"
  printf '25000000\n' >"$state/sysctl/kernel.keys.root_maxbytes"
  # containerd's images and containers in memory, when there is plenty (the dev image takes about 1.7 GB
  # unpacked and as content): importing is faster, and the run's end frees it with the mount namespace.
  local containerd_tmpfs=${CLUSTER_CONTAINERD_TMPFS:-}
  if [[ -z $containerd_tmpfs ]]; then
    containerd_tmpfs=0
    (($(awk '$1 == "MemAvailable:" { print int($2 / 1048576) }' /proc/meminfo) >= 8)) && containerd_tmpfs=1
  fi
  printf 'nameserver %s\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n' "$dns_ip" >"$state/resolv.conf"
  # shellcheck disable=SC2016 # expanded by the inner bash
  nsenter --target "$holder" --mount -- bash -euc '
    state=$1 node_run=$2
    mount --bind "$node_run" /run
    mount --bind "$state/node-var" /var
    mount --bind "$state/resolv.conf" /etc/resolv.conf
    for f in "$state"/sysctl/*; do
      n=${f##*/}
      mount --bind "$f" "/proc/sys/${n//.//}"
    done
    mkdir -p /run/containerd /run/crio /run/netns /run/lock
    if [[ $3 == 1 ]]; then
      mount -t tmpfs -o mode=0700 "cdk8s-cluster-containerd" "$state/containerd/root"
    fi
  ' _ "$state" "$node_run" "$containerd_tmpfs" || die "could not set up the node's mounts"

  # --- containerd
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
EOF
  cat >"$state/cni/net.d/10-$prefix.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$prefix",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{ "subnet": "$pod_cidr", "gateway": "$node_ip" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  spawn containerd containerd --config "$state/containerd/config.toml"
  CLUSTER_CONTAINERD_SOCKET=$node_run/containerd/containerd.sock
  wait_for "containerd" 60 containerd ctr --address "$CLUSTER_CONTAINERD_SOCKET" version
  # shellcheck disable=SC2016
  nsenter --target "$holder" --mount -- bash -euc 'touch /run/crio/crio.sock && mount --bind /run/containerd/containerd.sock /run/crio/crio.sock' ||
    die "could not bind the containerd socket to /run/crio/crio.sock"
  import_tars "$IMAGES_TAR"

  # --- control plane
  spawn etcd "$k8s_bin/etcd" --name=node --data-dir="$state/etcd" \
    --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
    --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
    --initial-cluster=node=http://127.0.0.1:2380 --unsafe-no-fsync --log-level=warn
  local p=$state/pki
  spawn kube-apiserver "$k8s_bin/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="$node_ip" --bind-address=0.0.0.0 --secure-port="$api_port" \
    --client-ca-file="$p/ca.crt" --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" --kubelet-client-key="$p/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$p/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --service-cluster-ip-range="$service_cidr" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction --allow-privileged=true
  wait_for "kube-apiserver ready" 120 kube-apiserver kctl get --raw /readyz
  spawn kube-controller-manager "$k8s_bin/kube-controller-manager" --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --controllers='*,bootstrapsigner,tokencleaner' \
    --use-service-account-credentials=true --root-ca-file="$p/ca.crt" \
    --service-account-private-key-file="$p/sa.key" --cluster-signing-cert-file="$p/ca.crt" \
    --cluster-signing-key-file="$p/ca.key" --service-cluster-ip-range="$service_cidr" --allocate-node-cidrs=false \
    --flex-volume-plugin-dir="$state/kubelet/volume-plugins"
  spawn kube-scheduler "$k8s_bin/kube-scheduler" --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false

  # --- node agents
  cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$p/ca.crt" }
authorization: { mode: Webhook }
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
tlsCertFile: "$p/kubelet.crt"
tlsPrivateKeyFile: "$p/kubelet.key"
cgroupDriver: cgroupfs
cgroupRoot: /$prefix-$id
failSwapOn: false
resolvConf: ""
clusterDNS: [$dns_ip]
clusterDomain: cluster.local
oomScoreAdj: 0
protectKernelDefaults: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1% }
serializeImagePulls: false
EOF
  cat >"$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: "$state/kube-proxy.kubeconfig" }
hostnameOverride: $node_name
mode: iptables
clusterCIDR: $pod_cidr
bindAddress: 0.0.0.0
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  spawn kubelet "$k8s_bin/kubelet" --config="$state/kubelet.yaml" --kubeconfig="$state/kubelet-client.kubeconfig" \
    --hostname-override="$node_name" --node-ip="$node_ip" --root-dir="$state/kubelet" --cert-dir="$state/pki" \
    --volume-plugin-dir="$state/kubelet/volume-plugins" \
    --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image="$PAUSE_IMAGE"
  spawn kube-proxy "$k8s_bin/kube-proxy" --config="$state/kube-proxy.yaml"
  wait_for "node $node_name Ready" 120 kubelet kctl wait --for=condition=Ready "node/$node_name" --timeout=2s

  # --- cluster infrastructure: CoreDNS and the local-path provisioner, as pods
  local hosts=${CLUSTER_GIT_HOSTS:-github.com} name m
  local host_lines=""
  for name in $hosts; do host_lines+="          $node_ip $name"$'\n'; done
  for m in "$here"/manifests/*.yaml; do
    sed -e "s|@NODE_IP@|$node_ip|g" -e "s|@DNS_IP@|$dns_ip|g" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" \
      -e "s|@PROVISIONER_IMAGE@|$PROVISIONER_IMAGE|g" -e "s|@HELPER_IMAGE@|$HELPER_IMAGE|g" \
      -e "s|@LOCAL_PATH@|$state/local-path|g" "$m" |
      awk -v hosts="$host_lines" '/@HOSTS@/ { printf "%s", hosts; next } { print }' >"$state/manifests/${m##*/}"
  done
  kctl apply -f "$state/manifests" >"$state/logs/infrastructure-apply.log" 2>&1 ||
    { cat "$state/logs/infrastructure-apply.log" >&2; die "applying the cluster infrastructure failed"; }
  wait_for "CoreDNS ready" 120 kubelet kctl -n kube-system rollout status deployment/coredns --timeout=2s
  wait_for "local-path-provisioner ready" 120 kubelet kctl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=2s
  # the node resolves through CoreDNS too (its /etc/resolv.conf), as the Flux controllers running there do
  local first_host=${hosts%% *}
  wait_for "$first_host resolved on the node by CoreDNS" 30 - node_resolves "$first_host" "$node_ip"
  local start_seconds
  start_seconds=$(since "$started")

  {
    printf 'export %s=%q\n' \
      CLUSTER_ID "$id" \
      CLUSTER_NETNS "$netns" \
      CLUSTER_NODE_PID "$holder" \
      CLUSTER_NODE_START "$(starttime "$holder")" \
      CLUSTER_NODE_NAME "$node_name" \
      CLUSTER_NODE_IP "$node_ip" \
      CLUSTER_POD_CIDR "$pod_cidr" \
      CLUSTER_SERVICE_CIDR "$service_cidr" \
      CLUSTER_DNS_IP "$dns_ip" \
      CLUSTER_API "https://$node_ip:$api_port" \
      KUBECONFIG "$state/admin.kubeconfig" \
      CLUSTER_CA "$p/ca.crt" \
      CLUSTER_TIER_CA "$tier_ca/ca.crt" \
      CLUSTER_TIER_CA_KEY "$tier_ca/ca.key" \
      CLUSTER_STATE "$state" \
      CLUSTER_LOGS "$state/logs" \
      CLUSTER_NODE_RUN "$node_run" \
      CLUSTER_CONTAINERD_SOCKET "$CLUSTER_CONTAINERD_SOCKET" \
      CLUSTER_STORAGE "$state/local-path" \
      CLUSTER_RESOLV_CONF "$state/resolv.conf" \
      CLUSTER_CONTAINERD_TMPFS "$containerd_tmpfs" \
      CLUSTER_K8S_BIN "$k8s_bin" \
      CLUSTER_BIN "$cluster_bin" \
      CLUSTER_PAUSE_IMAGE "$PAUSE_IMAGE" \
      CLUSTER_BUILD_SECONDS "$build_seconds" \
      CLUSTER_START_SECONDS "$start_seconds"
  } >"$state/env"
  trap - EXIT
  say "cluster $id up in $start_seconds s (builds checked in $build_seconds s); env: $state/env"
  echo "$state/env"
}

down() {
  local arg=${1:?usage: cluster.sh down <env file | run id>} id=$1
  if [[ -f $arg ]]; then
    id=$(
      # shellcheck source=/dev/null
      . "$arg"
      echo "$CLUSTER_ID"
    )
  fi
  [[ $id =~ ^[0-9a-f]+$ ]] || die "not a run id: '$id'"
  local started
  started=$(now)
  teardown "$id"
  say "run $id removed in $(since "$started") s"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  up) up ;;
  down) down "$@" ;;
  cleanup) cleanup ;;
  list) list ;;
  exec)
    load_env "${1:?usage: cluster.sh exec <env file> -- <command...>}"
    shift
    [[ ${1:-} == -- ]] && shift
    in_node "$@"
    ;;
  import)
    load_env "${1:?usage: cluster.sh import <env file> <tar>...}"
    shift
    import_tars "$@"
    ;;
  import-podman)
    load_env "${1:?usage: cluster.sh import-podman <env file> <podman image> [<reference>...]}"
    import_podman "${@:2}"
    ;;
  *)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
