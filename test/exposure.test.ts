import { Chart, Testing } from 'cdk8s';
import { GoRemoteFleet, NetworkPeer, NodeAccess, Program, ServiceExposure } from '../src';
import { KEY, all, one, synth } from './util';

// Issue 14, section 3: nothing public by accident.
const DELVE: Program = { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345 };
const servicePorts = (manifests: any[]) => one(manifests, 'Service').spec.ports.map((p: any) => p.name);

describe('program ports: reached through the SSH tunnel unless exposed on purpose', () => {
  test('GIVEN a headless delve with a port and the default load balancer THEN only SSH is on the Service', () => {
    const { manifests, env } = synth({ programs: [DELVE] });
    expect(one(manifests, 'Service').spec.type).toBe('LoadBalancer');
    expect(servicePorts(manifests)).toEqual(['ssh']);
    expect(env.programs[0].expose).toBeUndefined();
  });

  test('GIVEN expose: true on a load balancer without sourceRanges THEN refused, naming the prop and the way out', () => {
    expect(() => synth({ programs: [{ ...DELVE, expose: true }] }))
      .toThrow(/'programs\[0\].expose' is true; publishes port 2345 to any address \(the load balancer has no sourceRanges\).*exposeToAnySource: true on purpose/);
  });

  test('GIVEN expose: true on a NodePort THEN refused (a node port admits every source)', () => {
    expect(() => synth({ exposure: ServiceExposure.nodePort(), programs: [{ ...DELVE, expose: true }] }))
      .toThrow(/'programs\[0\].expose' is true; publishes port 2345 to any address \(a NodePort admits every source\)/);
  });

  test('GIVEN expose: true with sourceRanges, inside the cluster, or with exposeToAnySource THEN published', () => {
    const ranged = synth({ exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }), programs: [{ ...DELVE, expose: true }] });
    expect(servicePorts(ranged.manifests)).toEqual(['ssh', 'delve']);
    const inside = synth({ exposure: ServiceExposure.clusterIp(), programs: [{ ...DELVE, expose: true }] });
    expect(servicePorts(inside.manifests)).toEqual(['ssh', 'delve']);
    const anywhere = synth({ programs: [{ ...DELVE, expose: true, exposeToAnySource: true }] });
    expect(servicePorts(anywhere.manifests)).toEqual(['ssh', 'delve']);
  });

  test('exposeToAnySource needs expose: true, and both are booleans', () => {
    expect(() => synth({ programs: [{ ...DELVE, exposeToAnySource: true }] })).toThrow(/'programs\[0\].exposeToAnySource' is true; has no effect without expose: true/);
    expect(() => synth({ programs: [{ ...DELVE, expose: 'yes' as any }] })).toThrow(/'programs\[0\].expose' is "yes"; expected true or false/);
  });

  test('GIVEN a networkPolicy that admits no one to an exposed port THEN refused: the Service would publish what nobody reaches', () => {
    const exposure = ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] });
    expect(() => synth({ exposure, programs: [{ ...DELVE, expose: true }], networkPolicy: {} }))
      .toThrow(/'programs\[0\].expose' is true; publishes port 2345, which the environment's networkPolicy admits no one to/);
    const admitted = synth({
      programs: [{ ...DELVE, expose: true }],
      networkPolicy: { programs: [{ program: 'delve', from: [NetworkPeer.cidr('198.51.100.0/24')] }] },
    });
    expect(servicePorts(admitted.manifests)).toEqual(['ssh', 'delve']);
  });
});

describe('a NetworkPolicy never applies to a host-network pod', () => {
  test('GIVEN networkPolicy and hostNetwork() THEN refused', () => {
    expect(() => synth({ nodeAccess: NodeAccess.hostNetwork(), networkPolicy: {} }))
      .toThrow(/'nodeAccess' is "host-network"; uses the node's network, which a NetworkPolicy never applies to: networkPolicy would protect nothing/);
    expect(() => synth({ nodeAccess: NodeAccess.hostNetwork() })).not.toThrow();
  });

  test('GIVEN a fleet developer with hostNetwork() THEN refused: the fleet\'s policies would protect nothing', () => {
    const chart = new Chart(Testing.app(), 'team');
    expect(() => new GoRemoteFleet(chart, 'fleet', { namespace: 'team', developers: [{ name: 'alice', authorizedKeys: [KEY], nodeAccess: NodeAccess.hostNetwork() }] }))
      .toThrow(/'developers\[0\].nodeAccess' is "host-network"; uses the node's network, which a NetworkPolicy never applies to: the fleet's network policies would protect nothing/);
  });
});

describe('a fleet\'s exposure', () => {
  const fleet = (props: any) => {
    const chart = new Chart(Testing.app(), 'team');
    new GoRemoteFleet(chart, 'fleet', { namespace: 'team', developers: [{ name: 'alice', authorizedKeys: [KEY] }], ...props });
    return Testing.synth(chart);
  };
  const service = (manifests: any[]) => all(manifests, 'Service').find(s => s.metadata.name === 'alice');

  test('GIVEN no sshSourceCidrs THEN no public entry point: the Service is ClusterIP (kubectl port-forward)', () => {
    expect(service(fleet({})).spec.type).toBe('ClusterIP');
    expect(service(fleet({})).spec.loadBalancerSourceRanges).toBeUndefined();
  });

  test('GIVEN sshSourceCidrs THEN a load balancer admitting them only', () => {
    const s = service(fleet({ sshSourceCidrs: ['203.0.113.0/24'] })).spec;
    expect([s.type, s.loadBalancerSourceRanges]).toEqual(['LoadBalancer', ['203.0.113.0/24']]);
  });

  test('GIVEN an exposed program port that the fleet\'s default deny blocks THEN refused (ports would print it as published)', () => {
    expect(() => fleet({ sshSourceCidrs: ['203.0.113.0/24'], defaults: { programs: [{ ...DELVE, expose: true }] } }))
      .toThrow(/'defaults.programs\[0\].expose' is true; publishes port 2345, which the fleet's default-deny NetworkPolicy blocks/);
    const admitted = fleet({
      sshSourceCidrs: ['203.0.113.0/24'],
      defaults: { programs: [{ ...DELVE, expose: true }], networkPolicy: { programs: [{ program: 'delve', from: [NetworkPeer.cidr('203.0.113.0/24')] }] } },
    });
    expect(service(admitted).spec.ports.map((p: any) => p.name)).toEqual(['ssh', 'delve']);
  });
});
