import { ConnectError, describePod, KubectlResult, parseTarget, wake, WakeIo } from '../src/connect';

// The cluster tier runs `connect` against a real cluster (test/cluster); here, kubectl's answers are scripted
// to pin down what connect asks, what it says, and how it fails.

const SELECTOR = { 'app.kubernetes.io/name': 'go-remote', 'app.kubernetes.io/instance': 'dev-alice' };

function deployment(replicas: number) {
  return { spec: { replicas, selector: { matchLabels: SELECTOR } } };
}

function pod(name: string, state: 'pending' | 'init' | 'creating' | 'running' | 'ready', created = '2026-11-29T10:00:00Z') {
  const status: any = { phase: state === 'running' || state === 'ready' ? 'Running' : 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] };
  if (state === 'pending') status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }];
  if (state === 'init') status.initContainerStatuses = [{ name: 'clone', state: { running: {} } }];
  if (state === 'creating') status.containerStatuses = [{ name: 'dev', state: { waiting: { reason: 'ContainerCreating' } } }];
  if (state === 'running') status.containerStatuses = [{ name: 'dev', state: { running: {} } }];
  if (state === 'ready') {
    status.containerStatuses = [{ name: 'dev', state: { running: {} } }];
    status.conditions.push({ type: 'Ready', status: 'True' });
  }
  return { metadata: { name, creationTimestamp: created }, status };
}

const ok = (value: unknown): KubectlResult => ({ code: 0, stdout: JSON.stringify(value), stderr: '' });
const refused = (what: string): KubectlResult => ({ code: 1, stdout: '', stderr: `Error from server (Forbidden): ${what} is forbidden: User "alice" cannot ...` });

/** A fake world: kubectl answers from `answer`, time advances by each sleep. */
function world(answer: (args: string[], calls: string[][]) => KubectlResult) {
  const calls: string[][] = [];
  let clock = 0;
  const err: string[] = [];
  const io: WakeIo = {
    kubectl: async args => {
      calls.push(args);
      return answer(args, calls);
    },
    err: text => err.push(text),
    sleep: async ms => { clock += ms; },
    now: () => clock,
  };
  return { io, calls, err, elapsed: () => clock };
}

const isGet = (args: string[], kind: string) => args.includes('get') && args.includes(kind);
const isPatch = (args: string[]) => args.includes('patch');

describe('parseTarget', () => {
  test('GIVEN <namespace>/<name> or <name> THEN both parts', () => {
    expect(parseTarget('dev-team/alice')).toEqual({ namespace: 'dev-team', name: 'alice' });
    expect(parseTarget('alice')).toEqual({ namespace: undefined, name: 'alice' });
  });
  test.each(['', 'a/b/c', 'Alice', 'ns/-x', 'ns/a b', 'ns/$(id)'])('GIVEN %j THEN refused, naming the value', text => {
    expect(() => parseTarget(text)).toThrow(ConnectError);
    expect(() => parseTarget(text)).toThrow(`the environment is ${JSON.stringify(text)}; expected <namespace>/<name> or <name>`);
  });
});

describe('wake', () => {
  test('GIVEN a running environment with a Ready pod THEN its pod, nothing scaled, nothing said', async () => {
    const w = world(args => isGet(args, 'deployment') ? ok(deployment(1)) : ok({ items: [pod('alice-1', 'ready')] }));
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).resolves.toBe('alice-1');
    expect(w.calls.some(isPatch)).toBe(false);
    expect(w.err).toEqual([]);
    expect(w.calls[0]).toEqual(['-n', 'dev', 'get', 'deployment', 'alice', '-o', 'json']);
    expect(w.calls[1]).toEqual(['-n', 'dev', 'get', 'pods', '-l', 'app.kubernetes.io/name=go-remote,app.kubernetes.io/instance=dev-alice', '-o', 'json']);
  });

  test('GIVEN a stopped environment THEN scaled to 1 through the scale subresource, progress on stderr until Ready', async () => {
    const states: Array<'creating' | 'init' | 'running' | 'ready'> = ['init', 'init', 'creating', 'running', 'ready'];
    let looks = 0;
    const w = world(args => {
      if (isGet(args, 'deployment')) return ok(deployment(0));
      if (isPatch(args)) return ok({});
      return looks === 0 && !states.length ? ok({ items: [] }) : ok({ items: [pod('alice-2', states[Math.min(looks++, states.length - 1)])] });
    });
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).resolves.toBe('alice-2');
    expect(w.calls.filter(isPatch)).toEqual([['-n', 'dev', 'patch', 'deployment', 'alice', '--subresource', 'scale', '--type', 'merge', '--patch', '{"spec":{"replicas":1}}']]);
    expect(w.err).toEqual([
      'go-remote: dev/alice: stopped (0 replicas); scaling it to 1\n',
      'go-remote: dev/alice: waiting: pod alice-2 Init:0/1 (clone: running)\n',
      'go-remote: dev/alice: waiting: pod alice-2 ContainerCreating\n',
      'go-remote: dev/alice: waiting: pod alice-2 Running, not Ready yet (sshd starting)\n',
      'go-remote: dev/alice: pod alice-2 Ready after 4 s\n',
    ]);
  });

  test('GIVEN a terminating pod and a new one THEN the new, Ready one', async () => {
    const old = { ...pod('alice-old', 'ready'), metadata: { name: 'alice-old', deletionTimestamp: '2026-11-29T10:00:00Z' } };
    const w = world(args => isGet(args, 'deployment') ? ok(deployment(1)) : ok({ items: [old, pod('alice-new', 'ready')] }));
    await expect(wake({ name: 'alice' }, w.io, 60)).resolves.toBe('alice-new');
    expect(w.calls[0]).toEqual(['get', 'deployment', 'alice', '-o', 'json']);
  });

  test('GIVEN no permission to scale THEN says which RBAC verb is missing', async () => {
    const w = world(args => isGet(args, 'deployment') ? ok(deployment(0)) : isPatch(args) ? refused('deployments.apps "alice"') : ok({ items: [] }));
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).rejects.toThrow(
      /dev\/alice is stopped and your credentials may not scale it: RBAC verb "patch" on "deployments\/scale" is missing \(Error from server \(Forbidden\).*\); connect needs: get deployments, patch deployments\/scale, list pods, create pods\/exec and list events \(the Role that grantConnect\(\) creates\)/);
  });

  test('GIVEN no permission to read the Deployment THEN says so and what connect needs', async () => {
    const w = world(() => refused('deployments.apps "alice"'));
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).rejects.toThrow(/kubectl may not get deployment dev\/alice with your credentials .*connect needs: get deployments/);
  });

  test('GIVEN no such Deployment THEN asks whether it is synchronized', async () => {
    const w = world(() => ({ code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "alice" not found' }));
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).rejects.toThrow('deployment dev/alice not found: is the environment synchronized to this cluster and namespace?');
  });

  test('GIVEN a pod that never becomes Ready THEN the timeout says what it waits for, with the pod\'s events', async () => {
    const w = world(args => {
      if (isGet(args, 'deployment')) return ok(deployment(1));
      if (isGet(args, 'events')) {
        return ok({
          items: [
            { involvedObject: { kind: 'Pod', name: 'alice-3' }, type: 'Warning', reason: 'FailedScheduling', message: '0/1 nodes are available: 1 Insufficient cpu.', lastTimestamp: '2026-11-29T10:00:02Z' },
            { involvedObject: { kind: 'Pod', name: 'bob-1' }, type: 'Normal', reason: 'Pulled', message: 'not ours', lastTimestamp: '2026-11-29T10:00:01Z' },
          ],
        });
      }
      return ok({ items: [pod('alice-3', 'pending')] });
    });
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 30)).rejects.toThrow(
      'no pod of dev/alice was Ready after 30 s (pod alice-3 not scheduled (Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.)); its events:\n'
      + '  Warning FailedScheduling: 0/1 nodes are available: 1 Insufficient cpu.');
    expect(w.elapsed()).toBe(30_000);
  });

  test('GIVEN no pod at all until the timeout THEN the ReplicaSet\'s events (a quota or Pod Security refusal)', async () => {
    const w = world(args => {
      if (isGet(args, 'deployment')) return ok(deployment(1));
      if (isGet(args, 'events')) {
        return ok({ items: [{ involvedObject: { kind: 'ReplicaSet', name: 'alice-5d4f' }, type: 'Warning', reason: 'FailedCreate', message: 'pods "alice-5d4f-x" is forbidden: violates PodSecurity "restricted:latest"' }] });
      }
      return ok({ items: [] });
    });
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 5)).rejects.toThrow(
      'no pod of dev/alice was Ready after 5 s (no pod yet); its events:\n  Warning FailedCreate: pods "alice-5d4f-x" is forbidden: violates PodSecurity "restricted:latest"');
  });

  test('GIVEN the Deployment scaled to 0 again while waiting (idle stop of the old pod) THEN scaled up again', async () => {
    let replicas = 0;
    let patches = 0;
    let looks = 0;
    const w = world(args => {
      if (isGet(args, 'deployment')) return ok(deployment(replicas));
      if (isPatch(args)) {
        patches++;
        replicas = 1;
        return ok({});
      }
      looks++;
      if (looks === 5) replicas = 0; // idle stop wrote 0 after our patch
      return ok({ items: looks > 12 ? [pod('alice-4', 'ready')] : [] });
    });
    await expect(wake({ namespace: 'dev', name: 'alice' }, w.io, 60)).resolves.toBe('alice-4');
    expect(patches).toBe(2);
    expect(w.err).toContain('go-remote: dev/alice: scaled to 0 again meanwhile (idle stop of the previous pod?); scaling it to 1\n');
  });
});

describe('describePod', () => {
  test('GIVEN a failing clone THEN its init container\'s state', () => {
    const p = { metadata: { name: 'x' }, status: { initContainerStatuses: [{ name: 'clone', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
    expect(describePod(p)).toBe('pod x Init:0/1 (clone: CrashLoopBackOff)');
  });
});
