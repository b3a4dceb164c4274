import { Annotations, PortNames, SSH_PORT } from './contract';
import { Manifest } from './manifest';
import { networkPolicyManifest } from './network-policy';
import { podTemplate } from './pod-template';
import { clusterRoleManifests, roleManifests, sccRoleBindingManifest, serviceAccountManifest } from './rbac';
import { ResolvedEnvironment } from './resolve';
import { sccManifest } from './scc';
import { webhookManifests } from './webhook';
import { workspaceManifest } from './workspace';

/**
 * Every object of an environment, as plain manifests in construct-id order (the order of the YAML), from its
 * resolved description. Pure: a fleet calls it per developer, the construct once.
 * @internal
 */
export function environmentManifests(r: ResolvedEnvironment): Manifest[] {
  const labels = r.labels as { [key: string]: string };
  const metadata = (name: string) => ({ name, namespace: r.namespace, labels });
  const out: Manifest[] = [serviceAccountManifest(r)];
  if (r.ownScc) out.push(sccManifest(r.ownScc, labels, r.access));
  const sccBinding = sccRoleBindingManifest(r);
  if (sccBinding) out.push(sccBinding);
  out.push(...roleManifests(r));
  out.push({ id: 'Config', manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(r.configMap.name), data: r.configMap.data } });
  out.push(workspaceManifest(r.workspace, r.namespace, labels));
  out.push({
    id: 'Deployment',
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        ...metadata(r.name),
        // The findings kube-score and Checkov raise on purpose, as their own exemption annotations with a reason.
        annotations: r.hostCertificateAuthority ? { [Annotations.HOST_CA]: r.hostCertificateAuthority, ...r.lint.deployment } : r.lint.deployment,
      },
      spec: {
        replicas: 1,
        // The workspace volume has one writer: never run two pods at once.
        strategy: { type: 'Recreate' },
        revisionHistoryLimit: 3,
        selector: { matchLabels: r.selector },
        template: podTemplate(r),
      },
    },
  });
  out.push({
    id: 'Service',
    manifest: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...metadata(r.name), annotations: r.lint.service },
      spec: {
        type: r.serviceType,
        selector: r.selector,
        ports: [{ name: PortNames.SSH, port: SSH_PORT, targetPort: SSH_PORT, protocol: 'TCP' },
          ...r.servicePorts.map(p => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' }))],
        loadBalancerSourceRanges: r.sourceRanges,
        externalTrafficPolicy: r.externalTrafficPolicyLocal ? 'Local' : undefined,
      },
    },
  });
  if (r.webhook) out.push(...webhookManifests(r.webhook, labels, r.selector as { [key: string]: string }));
  if (r.networkPolicy) out.push(networkPolicyManifest(r.networkPolicy, metadata(r.name), r.selector as { [key: string]: string }));
  out.push(...clusterRoleManifests(r));
  return out;
}
