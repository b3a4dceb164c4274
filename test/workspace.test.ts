import { Size } from 'cdk8s';
import { WorkspaceAccessMode } from '../src';
import { one, podSpec, synth } from './util';

describe('workspace', () => {
  test('default: 10Gi ReadWriteOnce of the default StorageClass, protected from Argo CD and Flux pruning', () => {
    const { manifests, env } = synth();
    const pvc = one(manifests, 'PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe(`${env.name}-workspace`);
    expect(pvc.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
  });

  test('the pod mounts it at /workspace', () => {
    const { manifests } = synth();
    const pvc = one(manifests, 'PersistentVolumeClaim');
    expect(podSpec(manifests).volumes).toContainEqual({ name: 'workspace', persistentVolumeClaim: { claimName: pvc.metadata.name } });
    expect(podSpec(manifests).containers[0].volumeMounts).toContainEqual({ name: 'workspace', mountPath: '/workspace' });
  });

  test('GIVEN options THEN size, StorageClass and access mode are used', () => {
    const pvc = one(synth({ workspace: { size: Size.gibibytes(50), storageClassName: 'fast', accessMode: WorkspaceAccessMode.READ_WRITE_ONCE_POD } }).manifests, 'PersistentVolumeClaim');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOncePod'], storageClassName: 'fast', resources: { requests: { storage: '50Gi' } } });
  });

  test('its name is pinned by the construct path: a GitOps re-render never renames it', () => {
    expect(one(synth({}, { id: 'alice' }).manifests, 'PersistentVolumeClaim').metadata.name).toBe('test-alice-c8492648-workspace');
    expect(one(synth({ name: 'alice' }).manifests, 'PersistentVolumeClaim').metadata.name).toBe('alice-workspace');
  });

  test('rule: size is a quantity', () => {
    expect(() => synth({ workspace: { size: 'ten gigs' as any } })).toThrow(/'workspace.size' is "ten gigs"; expected a non-negative Kubernetes quantity/);
  });
  test('rule: storageClassName is a DNS subdomain', () => {
    expect(() => synth({ workspace: { storageClassName: 'Fast SSD' } })).toThrow(/'workspace.storageClassName' is "Fast SSD"; expected a DNS-1123 subdomain/);
  });
  test('rule: accessMode is a WorkspaceAccessMode', () => {
    expect(() => synth({ workspace: { accessMode: 'ReadWriteMany' as WorkspaceAccessMode } })).toThrow(/'workspace.accessMode' is "ReadWriteMany"; expected a WorkspaceAccessMode/);
  });
});
