import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { AutoRestart, Program } from './program';
import { Problems } from './validation';

/** The idle-stop script in the image (docs/image-contract.md). */
const IDLE_STOP_SCRIPT = '/usr/local/bin/go-remote-idle-stop';

/** The supervisord program that runs it; a declared program may not take the name. */
const IDLE_STOP_PROGRAM = 'idle-stop';

/** How often the script looks for SSH sessions, in seconds. */
const IDLE_STOP_INTERVAL_SECONDS = 30;

/** The shortest idle period accepted. */
const MIN_SECONDS = 60;
/** The longest (30 days): beyond that, stop the environment by hand. */
const MAX_SECONDS = 30 * 24 * 3600;

/**
 * Validates the `idleStop` prop and its neighbours: a whole number of seconds from one minute to 30 days,
 * a ServiceAccount token to act with, and no declared program of the same name.
 * @internal
 */
export function validateIdleStop(
  problems: Problems, prop: string, idleStop: Duration, serviceAccountToken: boolean | undefined, programs: Program[],
): void {
  const seconds = idleStop instanceof Duration ? idleStop.toSeconds({ integral: false }) : NaN;
  if (!Number.isInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    const shown = idleStop instanceof Duration ? `${seconds} seconds` : idleStop;
    problems.add(prop, shown, 'expected a Duration of whole seconds from 1 minute to 30 days, such as Duration.minutes(30)');
  }
  if (serviceAccountToken === false) {
    problems.add('serviceAccountToken', serviceAccountToken, 'but \'idleStop\' scales the Deployment through the API with the ServiceAccount token; remove \'serviceAccountToken: false\' or \'idleStop\'');
  }
  programs.forEach((p, i) => {
    if (p.name === IDLE_STOP_PROGRAM) {
      problems.add(`programs[${i}].name`, p.name, 'is the program \'idleStop\' adds; choose another name');
    }
  });
}

/**
 * The supervisord program that stops the environment when no SSH session is open. Its inputs come from
 * the container's environment (`idleStopEnv`), not from the command line.
 * @internal
 */
export function idleStopProgram(): Program {
  return {
    name: IDLE_STOP_PROGRAM,
    command: IDLE_STOP_SCRIPT,
    directory: '/',
    autostart: true,
    // Exit 0 means the Deployment was scaled to 0: do not start it again in the pod that is going away.
    autorestart: AutoRestart.UNEXPECTED,
    startSeconds: 1,
  };
}

/** The variables the script reads (all validated again by the script). @internal */
export function idleStopEnv(idleStop: Duration, deploymentName: string): k8s.EnvVar[] {
  return [
    { name: 'GO_REMOTE_IDLE_STOP_SECONDS', value: String(idleStop.toSeconds()) },
    { name: 'GO_REMOTE_IDLE_STOP_INTERVAL_SECONDS', value: String(IDLE_STOP_INTERVAL_SECONDS) },
    { name: 'GO_REMOTE_IDLE_STOP_DEPLOYMENT', value: deploymentName },
  ];
}

/**
 * The Role rule idle stop needs: read and patch the scale of this one Deployment, nothing else (not the
 * Deployment itself, so not its pod template).
 * @internal
 */
export function idleStopRule(deploymentName: string): k8s.PolicyRule {
  return {
    apiGroups: ['apps'],
    resources: ['deployments/scale'],
    resourceNames: [deploymentName],
    verbs: ['get', 'patch'],
  };
}
