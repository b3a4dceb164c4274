import { Duration } from 'cdk8s';
import { PolicyRule } from './api-access';
import { EnvVars, IdleStop, Paths } from './contract';
import { AutoRestart, Program } from './program';

// Idle stop: the image's script (Paths.IDLE_STOP_SCRIPT) run by supervisord as the program `idle-stop`, its inputs
// as variables, and the one Role rule it needs. The period is checked by ApiAccess.serviceAccountToken.

/**
 * The supervisord program that stops the environment when no SSH session is open. Its inputs come from
 * the container's environment (`idleStopEnv`), not from the command line.
 * @internal
 */
export const IDLE_STOP_PROGRAM: Program = Object.freeze({
  name: IdleStop.PROGRAM,
  command: Paths.IDLE_STOP_SCRIPT,
  directory: '/',
  autostart: true,
  // Exit 0 means the Deployment was scaled to 0: do not start it again in the pod that is going away.
  autorestart: AutoRestart.UNEXPECTED,
  startSeconds: 1,
});

/** The variables the script reads (all validated again by the script). @internal */
export function idleStopEnv(idleStop: Duration, deploymentName: string): { name: string; value: string }[] {
  return [
    { name: EnvVars.IDLE_STOP_SECONDS, value: String(idleStop.toSeconds()) },
    { name: EnvVars.IDLE_STOP_INTERVAL_SECONDS, value: String(IdleStop.INTERVAL_SECONDS) },
    { name: EnvVars.IDLE_STOP_DEPLOYMENT, value: deploymentName },
  ];
}

/**
 * The Role rule idle stop needs: read and patch the scale of this one Deployment, nothing else (not the
 * Deployment itself, so not its pod template).
 * @internal
 */
export function idleStopRule(deploymentName: string): PolicyRule {
  return {
    apiGroups: ['apps'],
    resources: ['deployments/scale'],
    resourceNames: [deploymentName],
    verbs: ['get', 'patch'],
  };
}
