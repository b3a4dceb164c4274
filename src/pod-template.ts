import { Annotations, Containers, EnvVars, IMAGE_UID, Paths, PortNames, RUN_VOLUME_SIZE, SSH_PORT, Users, Volumes, nodeVolume } from './contract';
import { cloneEnvironment, CLONE_SCRIPT, GIT_KEY_SECRET_ENV } from './git-repository';
import { idleStopEnv } from './idle-stop';
import { HostPathType } from './node-access';
import { Platform } from './platform';
import { ResolvedEnvironment } from './resolve';
import { webhookPodParts } from './webhook';

// The parts of the pod that never vary, made once and shared by every environment's manifest (cdk8s copies them
// at synthesis and never writes to them; frozen so that nothing else does either).
const freeze = <T>(o: T): T => Object.freeze(o);
const GO_ENV = freeze([
  { name: EnvVars.HOME, value: Paths.HOME },
  { name: EnvVars.WORKSPACE, value: Paths.WORKSPACE },
  { name: EnvVars.CONFIG_DIR, value: Paths.CONFIG_DIR },
  { name: EnvVars.RUN_DIR, value: Paths.RUN_DIR },
  { name: EnvVars.HOST_KEYS_DIR, value: Paths.HOST_KEYS_SECRET_DIR },
  { name: 'HOME', value: Paths.HOME },
  { name: 'GOPATH', value: Paths.GOPATH },
  { name: 'GOMODCACHE', value: Paths.GOMODCACHE },
  { name: 'GOCACHE', value: Paths.GOCACHE },
].map(freeze));
const USER_ENV: { readonly [user: string]: { name: string; value: string } } = freeze({
  [Users.DEFAULT]: freeze({ name: EnvVars.USER, value: Users.DEFAULT }),
  [Users.ROOT]: freeze({ name: EnvVars.USER, value: Users.ROOT }),
});
const CONFIG_MOUNT = freeze({ name: Volumes.CONFIG, mountPath: Paths.CONFIG_DIR, readOnly: true });
const WORKSPACE_MOUNT = freeze({ name: Volumes.WORKSPACE, mountPath: Paths.WORKSPACE });
const RUN_MOUNT = freeze({ name: Volumes.RUN, mountPath: Paths.RUN_DIR });
const RUN_VOLUME = freeze({ name: Volumes.RUN, emptyDir: freeze({ medium: 'Memory', sizeLimit: RUN_VOLUME_SIZE }) });
const SSH_CONTAINER_PORT = freeze({ name: PortNames.SSH, containerPort: SSH_PORT, protocol: 'TCP' });
const READINESS_PROBE = freeze({
  // No TCP probe: sshd ≥ 9.8 penalizes sources that connect without authenticating.
  exec: freeze({ command: freeze(['supervisorctl', '-c', Paths.SUPERVISORD_CONF, 'status', 'sshd']) }),
  initialDelaySeconds: 2,
  periodSeconds: 5,
  timeoutSeconds: 5,
  failureThreshold: 3,
});
const DROP_ALL = freeze({ drop: freeze(['ALL']) });
/** Non-root, nothing escalates, every capability dropped. */
const RESTRICTED = freeze({
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: false, // a development container installs tools and writes caches
  runAsNonRoot: true,
  capabilities: DROP_ALL,
});
const PRIVILEGED = freeze({ privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, runAsNonRoot: false, runAsUser: 0 });

/**
 * The environment's pod template, as plain JSON, from its resolved description: one place for every field of the
 * pod. Pure: the same description gives the same template.
 * @internal
 */
export function podTemplate(r: ResolvedEnvironment): any {
  const access = r.access;
  const root = access.runAsRoot;
  const pinIds = r.platform !== Platform.OPENSHIFT && !root; // on OpenShift the SCC assigns UID, GID and fsGroup

  const env: { name: string; value: string }[] = [USER_ENV[r.sshUser] ?? { name: EnvVars.USER, value: r.sshUser }, ...GO_ENV];
  if (r.git) env.push({ name: EnvVars.CHECKOUT, value: r.git.checkout });
  if (r.idleStop) env.push(...idleStopEnv(r.idleStop, r.name));
  if (r.kubeconfig) env.push({ name: EnvVars.KUBECONFIG, value: Paths.KUBECONFIG });
  const webhook = r.webhook ? webhookPodParts(r.webhook) : undefined;
  if (webhook) env.push(webhook.env);
  // The user's variables last, so that they may refer to the environment's own as $(NAME).
  env.push(...r.userEnv);

  // Every capability dropped unless the node access profile adds one.
  const nonRootRestricted = !root && access.capabilities.length === 0;
  const devSecurity = access.privileged ? PRIVILEGED : nonRootRestricted ? RESTRICTED
    : { ...RESTRICTED, runAsNonRoot: !root, runAsUser: root ? 0 : undefined, capabilities: { drop: ['ALL'], add: access.capabilities.length ? [...access.capabilities] : undefined } };

  const mounts: any[] = [WORKSPACE_MOUNT, CONFIG_MOUNT, RUN_MOUNT];
  const volumes: any[] = [
    { name: Volumes.WORKSPACE, persistentVolumeClaim: { claimName: r.workspace.name } },
    { name: Volumes.CONFIG, configMap: { name: r.configMap.name } },
    RUN_VOLUME,
  ];
  if (r.hostKeysSecret) {
    mounts.push({ name: Volumes.HOST_KEYS, mountPath: Paths.HOST_KEYS_SECRET_DIR, readOnly: true });
    volumes.push({ name: Volumes.HOST_KEYS, secret: { secretName: r.hostKeysSecret, defaultMode: 0o400, optional: false } });
  }
  if (r.kubeconfig) {
    // A directory mount (not subPath), so that a rotated Secret reaches the running pod.
    mounts.push({ name: Volumes.KUBECONFIG, mountPath: Paths.KUBECONFIG_DIR, readOnly: true });
    volumes.push({
      name: Volumes.KUBECONFIG,
      secret: { secretName: r.kubeconfig.secretName, items: [{ key: r.kubeconfig.key ?? 'config', path: 'config' }], defaultMode: 0o400, optional: false },
    });
  }
  access.hostPaths.forEach((h, i) => {
    mounts.push({ name: nodeVolume(i), mountPath: h.mountPath, readOnly: h.readOnly ?? true });
    volumes.push({ name: nodeVolume(i), hostPath: { path: h.path, type: h.type ?? HostPathType.DIRECTORY } });
  });
  if (webhook) {
    mounts.push(webhook.mount);
    volumes.push(webhook.volume);
  }
  for (const v of r.volumes) {
    mounts.push(v.mount);
    volumes.push(v.volume);
  }

  const ports: { name: string; containerPort: number; protocol: string }[] = [SSH_CONTAINER_PORT];
  for (const p of r.programs) {
    if (p.port !== undefined) ports.push({ name: p.name, containerPort: p.port, protocol: 'TCP' });
  }
  const resources = r.resources;

  const initContainers: any[] = [];
  if (r.git) {
    const cloneMounts: any[] = [WORKSPACE_MOUNT, CONFIG_MOUNT];
    if (r.git.sshKeySecret) {
      cloneMounts.push({ name: Volumes.GIT_CREDENTIALS, mountPath: Paths.GIT_CREDENTIALS_DIR, readOnly: true });
      volumes.push({ name: Volumes.GIT_CREDENTIALS, secret: { secretName: r.git.sshKeySecret, defaultMode: 0o400, optional: false } });
    }
    initContainers.push({
      name: Containers.CLONE,
      image: r.image,
      imagePullPolicy: r.imagePullPolicy,
      command: ['/bin/sh', '-c', CLONE_SCRIPT],
      env: [
        { name: 'HOME', value: Paths.HOME },
        { name: EnvVars.CHECKOUT, value: r.git.checkout },
        ...cloneEnvironment(r.git),
        ...(r.git.sshKeySecret ? [{ name: GIT_KEY_SECRET_ENV, value: r.git.sshKeySecret }] : []),
      ],
      workingDir: Paths.WORKSPACE,
      // A failed clone's log ends with git's error and the script's `go-remote: error:` line: `kubectl describe pod`
      // shows that tail as the init container's termination message.
      terminationMessagePolicy: 'FallbackToLogsOnError',
      resources,
      securityContext: root ? { ...RESTRICTED, runAsNonRoot: false, runAsUser: 0 } : RESTRICTED,
      volumeMounts: cloneMounts,
    });
  }

  const annotations: { [key: string]: string } = { [Annotations.CONFIG_HASH]: r.configMap.hash };
  if (r.requiredScc) annotations[Annotations.REQUIRED_SCC] = r.requiredScc;

  return {
    metadata: { labels: r.podLabels, annotations },
    spec: {
      serviceAccountName: r.podServiceAccountName,
      automountServiceAccountToken: r.tokenMounted,
      enableServiceLinks: false,
      securityContext: {
        seccompProfile: { type: 'RuntimeDefault' },
        runAsNonRoot: root ? undefined : true,
        runAsUser: pinIds ? IMAGE_UID : undefined,
        runAsGroup: pinIds ? IMAGE_UID : undefined,
        fsGroup: pinIds ? IMAGE_UID : undefined,
        // Only the first mount changes ownership: later starts keep the modes sshd's StrictModes checks.
        fsGroupChangePolicy: 'OnRootMismatch',
      },
      hostPID: access.hostPid || undefined,
      hostNetwork: access.hostNetwork || undefined,
      dnsPolicy: access.hostNetwork ? 'ClusterFirstWithHostNet' : undefined,
      nodeName: r.scheduling.nodeName,
      nodeSelector: r.scheduling.nodeSelector,
      tolerations: r.scheduling.tolerations,
      affinity: r.scheduling.affinity,
      initContainers: initContainers.length ? initContainers : undefined,
      containers: [{
        name: Containers.DEV,
        image: r.image,
        imagePullPolicy: r.imagePullPolicy,
        command: [Paths.ENTRYPOINT],
        workingDir: Paths.WORKSPACE,
        env,
        ports,
        resources,
        securityContext: devSecurity,
        volumeMounts: mounts,
        readinessProbe: READINESS_PROBE,
      }],
      volumes,
    },
  };
}
