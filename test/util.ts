import { generateKeyPairSync } from 'crypto';
import { App, Chart, Testing } from 'cdk8s';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../src';

/** A fresh, real OpenSSH ed25519 public key line. */
export function publicKey(comment = 'dev@laptop'): string {
  const { publicKey: key } = generateKeyPairSync('ed25519');
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.alloc(4 + type.length + 4 + raw.length);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(raw.length, 4 + type.length);
  raw.copy(blob, 8 + type.length);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** A key fixed for tests that compare output. */
export const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop';

export interface Synthesized {
  readonly env: GoRemoteEnvironment;
  readonly manifests: any[];
  readonly chart: Chart;
}

/** GIVEN props, WHEN the environment is synthesized in a chart with namespace `dev`. */
export function synth(props: Partial<GoRemoteEnvironmentProps> = {}, options: { namespace?: string; id?: string } = {}): Synthesized {
  const app: App = Testing.app();
  const chart = new Chart(app, 'test', { namespace: options.namespace === '' ? undefined : options.namespace ?? 'dev' });
  const env = new GoRemoteEnvironment(chart, options.id ?? 'env', { authorizedKeys: [KEY], ...props });
  return { env, chart, manifests: Testing.synth(chart) };
}

/** The only object of a kind (fails when there are none or several). */
export function one(manifests: any[], kind: string): any {
  const found = manifests.filter(m => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0];
}

export function all(manifests: any[], kind: string): any[] {
  return manifests.filter(m => m.kind === kind);
}

export function podSpec(manifests: any[]): any {
  return one(manifests, 'Deployment').spec.template.spec;
}

export function devContainer(manifests: any[]): any {
  return podSpec(manifests).containers.find((c: any) => c.name === 'dev');
}

export function configFile(manifests: any[], key: string): string {
  return one(manifests, 'ConfigMap').data[key];
}
