export { ValidationErrors } from './errors';
export { ApiResource, ApiVerb, GrantScope } from './api-access';
export type { ApiGrant, KubeconfigSecret } from './api-access';
export { ClientFiles, DELVE_PORT, SshRoute, SshRouteKind } from './client-files';
export type { ClientFilesOptions, EnvironmentSummary, ProgramPortSummary } from './client-files';
export * from './go-remote-environment';
export * from './fleet';
export * from './git-repository';
export * from './gitops';
export { LintExemptions, Linter } from './lint-exemptions';
export type { LintExemption, LintSubject } from './lint-exemptions';
export { NetworkPeer } from './network-policy';
export type { EnvironmentNetworkPolicyOptions, ProgramIngress, WorkloadImpersonation } from './network-policy';
export * from './node-access';
export * from './platform';
export { PodSecurityLevel } from './pod-security';
export * from './program';
export {
  AdmissionOperation, AdmissionRuleScope, AdmissionWebhookType, CertManagerIssuerKind, WEBHOOK_CERT_DIR, WEBHOOK_CERT_DIR_ENV,
  WEBHOOK_SERVICE_PORT, WebhookCertificate, WebhookFailurePolicy,
} from './webhook';
export type { AdmissionRule, AdmissionWebhookOptions, WebhookOptions } from './webhook';
export * from './workspace';
export * as openshift from './imports/openshift-security';
