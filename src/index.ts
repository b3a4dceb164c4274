export { ValidationErrors } from './errors';
export * from './client-files';
export * from './go-remote-environment';
export * from './git-repository';
export * from './node-access';
export * from './platform';
export * from './program';
export * from './workspace';
export * as openshift from './imports/openshift-security';
