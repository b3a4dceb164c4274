"""The Python app of the bindings tier (test/bindings/run.sh): the environments of test/bindings/app.ts,
declared through the Python bindings, as a Python user of cdk8s writes them.

    python app.py <outdir> <error-file>
"""
import sys

from cdk8s import App, Chart, Size
from cdk8s_plus_27 import ImagePullPolicy, k8s
from cdk8s_go_remote import (
    AutoRestart,
    GitRepository,
    GoRemoteEnvironment,
    HostPathType,
    NodeAccess,
    Platform,
    Program,
    ServiceExposure,
    WorkspaceAccessMode,
    WorkspaceOptions,
)

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop"
BOB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnZ5lq9DYcB4QIw9u3M8ohgo+ChIEKOaVtCuOEpDpvA bob@desktop"

if len(sys.argv) != 3:
    sys.exit("usage: app.py <outdir> <error-file>")
outdir, error_file = sys.argv[1:]

app = App(outdir=outdir)

# 1. The smallest environment: keys, a repository, the chart's namespace.
basic = Chart(app, "basic", namespace="dev")
GoRemoteEnvironment(
    basic, "alice",
    authorized_keys=[ALICE],
    git=GitRepository(url="https://github.com/acme/widget.git", ref="main"),
)

# 2. Operator development: node access built by static factory and method calls, programs with enums and
#    optional props, a map, the workspace (a cdk8s Size), another exposure.
operator = Chart(app, "operator")
op = GoRemoteEnvironment(
    operator, "op",
    authorized_keys=[ALICE, BOB],
    name="op-dev",
    namespace="operators",
    image="registry.example.com/team/go-remote:1.2.3",
    image_pull_policy=ImagePullPolicy.ALWAYS,
    git=GitRepository(url="https://github.com/acme/widget-operator.git", checkout_path="example.com/acme/operator"),
    programs=[
        Program(name="manager", command="go run ./cmd/manager", port=8080, autorestart=AutoRestart.NEVER,
                environment={"LOG_LEVEL": "debug"}),
        Program(name="metrics", command="/usr/local/bin/metrics-proxy", port=9090, expose=False, autostart=False),
    ],
    node_access=NodeAccess.privileged()
    .with_host_pid()
    .with_capabilities("SYS_PTRACE", "NET_ADMIN")
    .with_host_path(path="/var/run/crio/crio.sock", mount_path="/var/run/crio/crio.sock",
                    type=HostPathType.SOCKET, read_only=False),
    exposure=ServiceExposure.node_port(),
    workspace=WorkspaceOptions(size=Size.gibibytes(50), storage_class_name="fast",
                               access_mode=WorkspaceAccessMode.READ_WRITE_ONCE_POD),
    env={"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOPRIVATE": "example.com/*"},
)
# Reading the construct back across the boundary: a ConfigMap (cdk8s-plus-27 L1) built from its properties.
k8s.KubeConfigMap(
    operator, "connection",
    metadata=k8s.ObjectMeta(name="op-dev-connection", namespace=op.namespace),
    data={
        "name": op.name,
        "sshUser": op.ssh_user,
        "sshPort": str(op.ssh_port),
        "checkoutPath": op.checkout_path or "",
        "nodeAccess": op.node_access.settings.name,
        "service": op.service.name,
    },
)

# 3. OpenShift without node access, inside the cluster only.
openshift = Chart(app, "openshift", namespace="team-a")
GoRemoteEnvironment(
    openshift, "carol",
    authorized_keys=[BOB],
    platform=Platform.OPENSHIFT,
    node_access=NodeAccess.none(),
    exposure=ServiceExposure.cluster_ip(),
    workspace=WorkspaceOptions(size=Size.gibibytes(20)),
)

app.synth()

# Bad input crosses the boundary as the library's own message. Two problems at once: both must arrive.
try:
    GoRemoteEnvironment(
        Chart(App(), "bad"), "bad",
        authorized_keys=[ALICE],
        name="Bad_Name",
        programs=[Program(name="server", command="go run .", port=2222)],
    )
except Exception as e:  # jsii raises the JavaScript error's message as a RuntimeError
    with open(error_file, "w", encoding="utf-8") as f:
        f.write(str(e) + "\n")
else:
    sys.exit("the bad environment was accepted")
