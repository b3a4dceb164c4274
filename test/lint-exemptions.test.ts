import { ApiResource, ImagePullPolicy } from 'cdk8s-plus-27';
import { ApiAccess, ContainerRuntime, HostPathType, NodeAccess, Platform, ServiceExposure } from '../src';
import { one, synth } from './util';
import { KUBE_SCORE_IGNORE_ANNOTATION, LintExemptions, Linter } from '../src/lint-exemptions';

const DIGEST = 'registry.example.com/team/go-remote@sha256:' + 'a'.repeat(64);

// What every environment raises on purpose, with the default image and pull policy on Kubernetes.
const DEFAULTS = {
  'checkov.io/skip8': 'CKV_K8S_8=no liveness probe: a restart would end SSH sessions and debuggers; supervisord restarts sshd',
  'checkov.io/skip15': 'CKV_K8S_15=imagePullPolicy IfNotPresent, as declared: a node reuses the image it has',
  'checkov.io/skip22': 'CKV_K8S_22=writable root filesystem: a development container installs tools and writes caches',
  'checkov.io/skip40': 'CKV_K8S_40=UID and GID 1000: the image\'s user, who owns the workspace files',
  'checkov.io/skip43': 'CKV_K8S_43=image referenced by tag, as declared: name@sha256:<digest> would pin it',
  'kube-score.go-remote.cdk8s.io/container-ephemeral-storage-request-and-limit': 'no ephemeral-storage limit: tools installed in the root filesystem must not get the pod evicted',
  'kube-score.go-remote.cdk8s.io/container-image-pull-policy': 'imagePullPolicy IfNotPresent, as declared: a node reuses the image it has',
  'kube-score.go-remote.cdk8s.io/container-security-context-readonlyrootfilesystem': 'writable root filesystem: a development container installs tools and writes caches',
  'kube-score.go-remote.cdk8s.io/container-security-context-user-group-id': 'UID and GID 1000: the image\'s user, who owns the workspace files',
  'kube-score.go-remote.cdk8s.io/deployment-replicas': 'one replica: the workspace volume has a single writer',
  'kube-score.go-remote.cdk8s.io/deployment-strategy': 'Recreate: the workspace volume has a single writer, so two pods never overlap',
  'kube-score/ignore': 'container-ephemeral-storage-request-and-limit,container-image-pull-policy,container-security-context-readonlyrootfilesystem,container-security-context-user-group-id,deployment-replicas,deployment-strategy',
};
const ROOT_UID = {
  'checkov.io/skip23': 'CKV_K8S_23=nodeAccess: runs as root',
  'checkov.io/skip40': 'CKV_K8S_40=nodeAccess: runs as root (UID 0)',
  'kube-score.go-remote.cdk8s.io/container-security-context-user-group-id': 'nodeAccess: runs as root (UID 0)',
};
const PRIVILEGED = {
  ...ROOT_UID,
  'checkov.io/skip16': 'CKV_K8S_16=nodeAccess: privileged container',
  'checkov.io/skip20': 'CKV_K8S_20=nodeAccess: a privileged container can escalate privileges',
  'checkov.io/skip28': 'CKV_K8S_28=nodeAccess: a privileged container holds every capability, NET_RAW included',
  'checkov.io/skip37': 'CKV_K8S_37=nodeAccess: a privileged container holds every capability',
  'kube-score.go-remote.cdk8s.io/container-security-context-privileged': 'nodeAccess: privileged container',
  'kube-score/ignore': 'container-ephemeral-storage-request-and-limit,container-image-pull-policy,container-security-context-privileged,container-security-context-readonlyrootfilesystem,container-security-context-user-group-id,deployment-replicas,deployment-strategy',
};
const HOST_PID = { 'checkov.io/skip17': 'CKV_K8S_17=nodeAccess: shares the node\'s PID namespace' };
const HOST_NETWORK = { 'checkov.io/skip19': 'CKV_K8S_19=nodeAccess: uses the node\'s network namespace' };

/** The Deployment's metadata annotations that carry lint exemptions (and only those). */
function lintAnnotations(manifests: any[], kind = 'Deployment'): { [key: string]: string } {
  const annotations: { [key: string]: string } = one(manifests, kind).metadata.annotations ?? {};
  return Object.fromEntries(Object.entries(annotations)
    .filter(([k]) => k === KUBE_SCORE_IGNORE_ANNOTATION || k.startsWith('kube-score.go-remote.cdk8s.io/') || k.startsWith('checkov.io/')));
}

describe('lint exemptions on the Deployment, per node access profile', () => {
  test('GIVEN the defaults WHEN synthesized THEN exactly the default exemptions, with their reasons', () => {
    expect(lintAnnotations(synth().manifests)).toEqual(DEFAULTS);
  });

  test('GIVEN hostNetwork() THEN the defaults and CKV_K8S_19', () => {
    expect(lintAnnotations(synth({ nodeAccess: NodeAccess.hostNetwork() }).manifests)).toEqual({ ...DEFAULTS, ...HOST_NETWORK });
  });

  test('GIVEN hostProc() THEN the defaults and CKV_K8S_17 (a /proc host path raises nothing)', () => {
    expect(lintAnnotations(synth({ nodeAccess: NodeAccess.hostProc() }).manifests)).toEqual({ ...DEFAULTS, ...HOST_PID });
  });

  test('GIVEN ptrace() THEN the defaults and CKV_K8S_25 naming the capability', () => {
    expect(lintAnnotations(synth({ nodeAccess: NodeAccess.ptrace() }).manifests)).toEqual({
      ...DEFAULTS,
      'checkov.io/skip25': 'CKV_K8S_25=nodeAccess: adds SYS_PTRACE',
    });
  });

  test('GIVEN privileged() THEN the defaults, the privileged checks of both linters and root', () => {
    expect(lintAnnotations(synth({ nodeAccess: NodeAccess.privileged() }).manifests)).toEqual({ ...DEFAULTS, ...PRIVILEGED });
  });

  test('GIVEN containerRuntimeSocket(CRIO) THEN what privileged() raises, nothing for the socket', () => {
    const nodeAccess = NodeAccess.containerRuntimeSocket(ContainerRuntime.CRIO);
    expect(lintAnnotations(synth({ nodeAccess }).manifests)).toEqual({ ...DEFAULTS, ...PRIVILEGED });
  });

  test('GIVEN privileged() with host PID, host network and the Docker socket THEN each adds its check', () => {
    const nodeAccess = NodeAccess.privileged().withHostPid().withHostNetwork()
      .withHostPath({ path: '/var/run/docker.sock', mountPath: '/var/run/docker.sock', type: HostPathType.SOCKET, readOnly: false });
    expect(lintAnnotations(synth({ nodeAccess }).manifests)).toEqual({
      ...DEFAULTS,
      ...PRIVILEGED,
      ...HOST_PID,
      ...HOST_NETWORK,
      'checkov.io/skip27': 'CKV_K8S_27=nodeAccess: mounts the Docker socket',
    });
  });

  test('GIVEN capabilities with SYS_ADMIN, not privileged THEN CKV_K8S_25 lists them sorted and CKV_K8S_39 is added', () => {
    expect(lintAnnotations(synth({ nodeAccess: NodeAccess.none().withCapabilities('SYS_ADMIN', 'NET_ADMIN') }).manifests)).toEqual({
      ...DEFAULTS,
      'checkov.io/skip25': 'CKV_K8S_25=nodeAccess: adds NET_ADMIN SYS_ADMIN',
      'checkov.io/skip39': 'CKV_K8S_39=nodeAccess: adds SYS_ADMIN',
    });
  });

  test('GIVEN OpenShift without node access THEN the UID exemptions say that OpenShift assigns the IDs', () => {
    const reason = 'UID and GID are not pinned: OpenShift assigns them from the namespace\'s range';
    expect(lintAnnotations(synth({ platform: Platform.OPENSHIFT }).manifests)).toEqual({
      ...DEFAULTS,
      'checkov.io/skip40': `CKV_K8S_40=${reason}`,
      'kube-score.go-remote.cdk8s.io/container-security-context-user-group-id': reason,
    });
  });

  test('GIVEN OpenShift and privileged() THEN root is the reason, as on Kubernetes', () => {
    const manifests = synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() }).manifests;
    expect(lintAnnotations(manifests)).toEqual({ ...DEFAULTS, ...PRIVILEGED });
  });
});

describe('lint exemptions of other settings', () => {
  test('GIVEN imagePullPolicy ALWAYS THEN neither pull policy check is exempted', () => {
    const a = lintAnnotations(synth({ imagePullPolicy: ImagePullPolicy.ALWAYS }).manifests);
    expect(a['checkov.io/skip15']).toBeUndefined();
    expect(a['kube-score.go-remote.cdk8s.io/container-image-pull-policy']).toBeUndefined();
    expect(a[KUBE_SCORE_IGNORE_ANNOTATION]).not.toContain('container-image-pull-policy');
    expect(a['checkov.io/skip43']).toBe(DEFAULTS['checkov.io/skip43']); // the tag exemption does not depend on the pull policy
  });

  test('GIVEN an image by digest with IfNotPresent THEN no Checkov image exemption, kube-score\'s pull policy kept', () => {
    const a = lintAnnotations(synth({ image: DIGEST }).manifests);
    expect(a['checkov.io/skip43']).toBeUndefined();
    expect(a['checkov.io/skip15']).toBeUndefined();
    expect(a['kube-score.go-remote.cdk8s.io/container-image-pull-policy']).toBe('imagePullPolicy IfNotPresent, as declared: a node reuses the image it has');
  });

  test('GIVEN imagePullPolicy NEVER THEN the reason names it', () => {
    expect(lintAnnotations(synth({ imagePullPolicy: ImagePullPolicy.NEVER }).manifests)['checkov.io/skip15'])
      .toBe('CKV_K8S_15=imagePullPolicy Never, as declared: a node reuses the image it has');
  });

  test('GIVEN the ServiceAccount token THEN CKV_K8S_38', () => {
    expect(lintAnnotations(synth({ apiAccess: ApiAccess.serviceAccountToken() }).manifests)['checkov.io/skip38'])
      .toBe('CKV_K8S_38=ServiceAccount token mounted: the environment uses the API as its ServiceAccount');
  });

  test('GIVEN a grant THEN CKV_K8S_38 is exempted, as the token is mounted', () => {
    expect(lintAnnotations(synth().manifests)['checkov.io/skip38']).toBeUndefined();
    const manifests = synth({ apiAccess: ApiAccess.serviceAccountToken().grantRead(ApiResource.PODS) }).manifests;
    expect(one(manifests, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(lintAnnotations(manifests)['checkov.io/skip38']).toMatch(/^CKV_K8S_38=ServiceAccount token mounted/);
  });

  test('GIVEN a NodePort Service THEN kube-score\'s service-type is exempted on the Service', () => {
    expect(lintAnnotations(synth({ exposure: ServiceExposure.nodePort() }).manifests, 'Service')).toEqual({
      'kube-score.go-remote.cdk8s.io/service-type': 'serviceType NodePort, as declared',
      'kube-score/ignore': 'service-type',
    });
  });

  test('GIVEN the default LoadBalancer Service THEN the Service carries no exemption', () => {
    expect(lintAnnotations(synth().manifests, 'Service')).toEqual({});
  });

  test('GIVEN node access WHEN synthesized THEN no exemption is on the pod template: changing one never restarts the pod', () => {
    const annotations = one(synth({ nodeAccess: NodeAccess.privileged() }).manifests, 'Deployment').spec.template.metadata.annotations;
    expect(Object.keys(annotations).filter(k => k.includes('kube-score') || k.includes('checkov'))).toEqual([]);
  });
});

describe('LintExemptions', () => {
  const subject = {
    nodeAccess: NodeAccess.privileged().withHostPid().withHostNetwork().settings,
    platform: Platform.KUBERNETES,
    image: 'x:1',
    imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
    serviceAccountTokenMounted: true,
  };

  test('forDeployment is sorted by linter, then by check number', () => {
    const checks = LintExemptions.forDeployment(subject).filter(e => e.linter === Linter.CHECKOV).map(e => e.check);
    expect(checks).toEqual(['CKV_K8S_8', 'CKV_K8S_15', 'CKV_K8S_16', 'CKV_K8S_17', 'CKV_K8S_19', 'CKV_K8S_20', 'CKV_K8S_22',
      'CKV_K8S_23', 'CKV_K8S_28', 'CKV_K8S_37', 'CKV_K8S_38', 'CKV_K8S_40', 'CKV_K8S_43']);
  });

  test('every reason is short, non-empty and free of \'=\' (Checkov splits the annotation on it)', () => {
    for (const e of LintExemptions.forDeployment(subject)) {
      expect(e.reason).toMatch(/^[^=]{10,110}$/);
    }
  });

  test('annotations refuses a reason with \'=\'', () => {
    expect(() => LintExemptions.annotations([{ linter: Linter.CHECKOV, check: 'CKV_K8S_8', reason: 'a=b' }])).toThrow(/without '='/);
  });

  test('annotations refuses a Checkov check that is not CKV_K8S_<N>', () => {
    expect(() => LintExemptions.annotations([{ linter: Linter.CHECKOV, check: 'CKV2_K8S_6', reason: 'x' }])).toThrow(/CKV_K8S_<N>/);
  });

  test('the same settings give byte-identical annotations', () => {
    const a = JSON.stringify(synth({ nodeAccess: NodeAccess.privileged().withHostPid() }).manifests);
    const b = JSON.stringify(synth({ nodeAccess: NodeAccess.privileged().withHostPid() }).manifests);
    expect(a).toBe(b);
  });
});
