// The package's public API, on purpose: every name below is listed explicitly (no `export *`), so nothing
// internal is reachable from the package root. Constants users need are static members of these classes
// (GoRemoteEnvironment.SSH_PORT ...), which jsii carries to Python and Go. Vocabulary cdk8s and cdk8s-plus-27
// already have is theirs, not repeated here: Size, Duration, Cpu, ImagePullPolicy, ServiceType, ApiResource.

// ---- constructs ----
export { GoRemoteEnvironment } from './go-remote-environment';
export { GoRemoteFleet } from './fleet';
export type {
  Developer, EnvironmentOptions, EnvironmentResources, EnvironmentVolume, FleetContainerDefaults, FleetQuota, GoRemoteEnvironmentProps,
  GoRemoteFleetProps,
} from './props';
export { NamespaceMode } from './props';

// ---- what an environment is made of ----
export { ApiAccess, ApiAccessKind, ApiVerb, GrantScope, ServiceAccountTokenAccess } from './api-access';
export type { ApiGrant, ImpersonatedServiceAccountOptions, KubeconfigSecret, ServiceAccountTokenOptions } from './api-access';
export { ServiceExposure } from './exposure';
export type { LoadBalancerOptions } from './exposure';
export type { GitRepository } from './git-repository';
export { NetworkPeer } from './network-policy';
export type { EnvironmentNetworkPolicyOptions, ProgramIngress, WorkloadImpersonation } from './network-policy';
export { ContainerRuntime, HostPathType, NodeAccess } from './node-access';
export type { HostPathMount, NodeAccessSettings } from './node-access';
export { Platform } from './platform';
export { PodSecurityLevel } from './pod-security';
export { AutoRestart } from './program';
export type { Program } from './program';
export {
  AdmissionOperation, AdmissionRuleScope, AdmissionWebhookType, CertManagerIssuerKind, WebhookCertificate, WebhookFailurePolicy,
} from './webhook';
export type { AdmissionRule, AdmissionWebhookOptions, WebhookOptions } from './webhook';
export { WorkspaceAccessMode } from './workspace';
export type { WorkspaceOptions } from './workspace';

// ---- errors, client files, GitOps ----
export { ValidationErrors } from './errors';
export { ClientFiles, SshRoute, SshRouteKind } from './client-files';
export type { ClientFilesOptions, EnvironmentSummary, ProgramPortSummary } from './client-files';
export { GitOps } from './gitops';
export type { ArgoCdIgnoreDifferences, SyncWaveOptions } from './gitops';
