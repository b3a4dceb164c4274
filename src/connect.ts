import { spawn } from 'child_process';
import { Containers, SSH_RELAY_SCRIPT } from './contract';

/**
 * `cdk8s-go-remote connect <namespace>/<name>`: ssh's ProxyCommand that wakes a stopped environment.
 *
 * With the user's own kube credentials (kubectl, as every other route), it scales the environment's Deployment
 * to 1 replica when it is at 0 (idle stop, or a person, stopped it; the GitOps setup ignores replica
 * differences), waits until one of its pods is Ready while saying on stderr what the pod is doing (VS Code's
 * Remote-SSH output shows stderr), then relays the SSH stream to the pod's sshd through `kubectl exec`, as the
 * kubectl-exec route does. Not part of the jsii API.
 */

/** What kubectl answered. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What `wake` needs from the outside world; tests pass their own. */
export interface WakeIo {
  /** Runs kubectl with these arguments (never through a shell). */
  readonly kubectl: (args: string[]) => Promise<KubectlResult>;
  /** Progress and diagnostics (stderr). */
  readonly err: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds, monotonic enough for timeouts. */
  readonly now: () => number;
}

/** The environment to wake. */
export interface WakeTarget {
  /** Its namespace; kubectl's current namespace when undefined. */
  readonly namespace?: string;
  /** The environment's name (its Deployment's). */
  readonly name: string;
}

/** A failure the user can act on; the message says what and what to do. */
export class ConnectError extends Error {}


const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// Label keys and values that may go into a -l selector unquoted (kubectl parses the selector, not a shell).
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** How often the pods are looked at while waiting. */
const POLL_MS = 1000;

/**
 * Parses `<namespace>/<name>` or `<name>`.
 */
export function parseTarget(text: string): WakeTarget {
  const parts = text.split('/');
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || !DNS_LABEL.test(name) || (namespace !== undefined && !DNS_LABEL.test(namespace))) {
    throw new ConnectError(`the environment is ${JSON.stringify(text)}; expected <namespace>/<name> or <name> (DNS-1123 labels)`);
  }
  return { namespace, name };
}

function id(target: WakeTarget): string {
  return target.namespace ? `${target.namespace}/${target.name}` : target.name;
}

function nsArgs(target: WakeTarget): string[] {
  return target.namespace ? ['-n', target.namespace] : [];
}

function firstLine(text: string): string {
  return text.trim().split('\n').filter(l => l.trim() !== '').pop() ?? '';
}

function forbidden(result: KubectlResult): boolean {
  return /\bforbidden\b/i.test(result.stderr);
}

/**
 * The RBAC a developer needs for `connect`, in words, for messages (the Role that `grantConnect` creates).
 */
export const CONNECT_PERMISSIONS = 'get deployments, patch deployments/scale, list pods, create pods/exec and list events';

/**
 * Wakes the environment if it is stopped and waits until one of its pods is Ready; returns that pod's name.
 * Throws ConnectError with what the pod was waiting for (its events) on timeout, and with the missing verb when
 * kubectl is refused.
 */
export async function wake(target: WakeTarget, io: WakeIo, timeoutSeconds: number): Promise<string> {
  const started = io.now();
  const deadline = started + timeoutSeconds * 1000;
  const say = (text: string) => io.err(`go-remote: ${id(target)}: ${text}\n`);

  const deployment = await getDeployment(target, io);
  const selector = selectorOf(target, deployment);
  let scaled = false;
  if (deployment.spec?.replicas === 0) {
    say('stopped (0 replicas); scaling it to 1');
    await scaleToOne(target, io);
    scaled = true;
  }

  let last = '';
  let looks = 0;
  for (;;) {
    const pods = await listPods(target, io, selector);
    const ready = pods.find(p => isReady(p));
    if (ready) {
      if (scaled) say(`pod ${ready.metadata.name} Ready after ${Math.round((io.now() - started) / 1000)} s`);
      return ready.metadata.name;
    }
    const state = pods.length === 0 ? 'no pod yet' : describePod(newest(pods));
    if (state !== last) {
      say(`waiting: ${state}`);
      last = state;
    }
    // Every 10 looks: stopped again meanwhile (idle stop of the pod that was going away)? Scale it up again.
    if (++looks % 10 === 0) {
      const again = await getDeployment(target, io);
      if (again.spec?.replicas === 0) {
        say('scaled to 0 again meanwhile (idle stop of the previous pod?); scaling it to 1');
        await scaleToOne(target, io);
        scaled = true;
      }
    }
    if (io.now() >= deadline) {
      const pod = pods.length ? newest(pods) : undefined;
      const events = await eventsOf(target, io, pod?.metadata?.name);
      throw new ConnectError(`no pod of ${id(target)} was Ready after ${timeoutSeconds} s (${state})`
        + (events.length ? `; its events:\n${events.map(e => `  ${e}`).join('\n')}` : '; no events'));
    }
    await io.sleep(POLL_MS);
  }
}

async function getDeployment(target: WakeTarget, io: WakeIo): Promise<any> {
  const r = await io.kubectl([...nsArgs(target), 'get', 'deployment', target.name, '-o', 'json']);
  if (r.code !== 0) {
    if (forbidden(r)) {
      throw new ConnectError(`kubectl may not get deployment ${id(target)} with your credentials (${firstLine(r.stderr)}); `
        + `connect needs: ${CONNECT_PERMISSIONS} (the Role that grantConnect() creates)`);
    }
    if (/NotFound|not found/.test(r.stderr)) {
      throw new ConnectError(`deployment ${id(target)} not found: is the environment synchronized to this cluster and namespace? (${firstLine(r.stderr)})`);
    }
    throw new ConnectError(`kubectl get deployment ${id(target)} failed: ${firstLine(r.stderr)}`);
  }
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new ConnectError(`kubectl get deployment ${id(target)} printed no JSON`);
  }
}

async function scaleToOne(target: WakeTarget, io: WakeIo): Promise<void> {
  const r = await io.kubectl([...nsArgs(target), 'patch', 'deployment', target.name, '--subresource', 'scale',
    '--type', 'merge', '--patch', '{"spec":{"replicas":1}}']);
  if (r.code === 0) return;
  if (forbidden(r)) {
    throw new ConnectError(`${id(target)} is stopped and your credentials may not scale it: RBAC verb "patch" on `
      + `"deployments/scale" is missing (${firstLine(r.stderr)}); connect needs: ${CONNECT_PERMISSIONS} `
      + '(the Role that grantConnect() creates)');
  }
  throw new ConnectError(`scaling deployment ${id(target)} to 1 failed: ${firstLine(r.stderr)}`);
}

function selectorOf(target: WakeTarget, deployment: any): string {
  const labels = deployment?.spec?.selector?.matchLabels;
  const entries = labels && typeof labels === 'object' ? Object.entries(labels) : [];
  if (entries.length === 0 || entries.some(([k, v]) => !LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v))) {
    throw new ConnectError(`deployment ${id(target)} has no usable spec.selector.matchLabels`);
  }
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

async function listPods(target: WakeTarget, io: WakeIo, selector: string): Promise<any[]> {
  const r = await io.kubectl([...nsArgs(target), 'get', 'pods', '-l', selector, '-o', 'json']);
  if (r.code !== 0) {
    if (forbidden(r)) {
      throw new ConnectError(`kubectl may not list the pods of ${id(target)} with your credentials (${firstLine(r.stderr)}); `
        + `connect needs: ${CONNECT_PERMISSIONS} (the Role that grantConnect() creates)`);
    }
    throw new ConnectError(`kubectl get pods -l ${selector} failed: ${firstLine(r.stderr)}`);
  }
  let items: any[];
  try {
    items = JSON.parse(r.stdout).items;
  } catch {
    throw new ConnectError('kubectl get pods printed no JSON');
  }
  return (Array.isArray(items) ? items : []).filter(p => typeof p?.metadata?.name === 'string' && !p.metadata.deletionTimestamp);
}

function isReady(pod: any): boolean {
  return pod?.status?.phase === 'Running'
    && (pod.status.conditions ?? []).some((c: any) => c?.type === 'Ready' && c?.status === 'True');
}

function newest(pods: any[]): any {
  return [...pods].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))[0];
}

/** What a pod is doing, as `kubectl get pods` would say it (Pending: Unschedulable, Init:0/1, ContainerCreating ...). */
export function describePod(pod: any): string {
  const name = pod?.metadata?.name ?? '?';
  const status = pod?.status ?? {};
  const scheduled = (status.conditions ?? []).find((c: any) => c?.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    return `pod ${name} not scheduled (${scheduled.reason ?? 'Pending'}: ${firstLine(String(scheduled.message ?? ''))})`;
  }
  const inits: any[] = status.initContainerStatuses ?? [];
  const pendingInit = inits.findIndex(c => !c?.state?.terminated || c.state.terminated.exitCode !== 0);
  if (pendingInit >= 0) {
    const c = inits[pendingInit];
    const why = c.state?.waiting?.reason ?? (c.state?.terminated ? `exited ${c.state.terminated.exitCode}` : c.state?.running ? 'running' : 'waiting');
    return `pod ${name} Init:${pendingInit}/${inits.length} (${c.name}: ${why})`;
  }
  const dev = (status.containerStatuses ?? []).find((c: any) => c?.name === Containers.DEV);
  if (dev?.state?.waiting) return `pod ${name} ${dev.state.waiting.reason ?? 'waiting'}`;
  if (dev?.state?.running) return `pod ${name} Running, not Ready yet (sshd starting)`;
  return `pod ${name} ${status.phase ?? 'Pending'}`;
}

/** The events of the pod (or, without one, of the Deployment's ReplicaSets and the Deployment), newest last. */
async function eventsOf(target: WakeTarget, io: WakeIo, pod: string | undefined): Promise<string[]> {
  const r = await io.kubectl([...nsArgs(target), 'get', 'events', '-o', 'json']);
  if (r.code !== 0) return [`(events not readable: ${firstLine(r.stderr)})`];
  let items: any[] = [];
  try {
    items = JSON.parse(r.stdout).items ?? [];
  } catch {
    return [];
  }
  const mine = (e: any) => {
    const o = e?.involvedObject ?? {};
    if (pod !== undefined) return o.kind === 'Pod' && o.name === pod;
    return (o.kind === 'Deployment' && o.name === target.name)
      || (o.kind === 'ReplicaSet' && typeof o.name === 'string' && o.name.startsWith(`${target.name}-`));
  };
  return items.filter(mine)
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
    .slice(-10)
    .map(e => `${e.type ?? ''} ${e.reason ?? ''}: ${firstLine(String(e.message ?? ''))}`.trim());
}

/**
 * Relays stdin/stdout to sshd in the pod through `kubectl exec` (what the kubectl-exec route's ProxyCommand
 * runs); resolves with kubectl's exit code.
 */
export function relay(target: WakeTarget, pod: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', [...nsArgs(target), 'exec', '-i', pod, '-c', Containers.DEV, '--', 'bash', '-c', SSH_RELAY_SCRIPT],
      { stdio: 'inherit', env });
    child.on('error', (e: any) => reject(e.code === 'ENOENT' ? new ConnectError('kubectl is not on PATH') : e));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
