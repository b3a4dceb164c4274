import { execFileSync } from 'child_process';
import { join } from 'path';

/**
 * cert-manager's Go module, which holds its CRDs in deploy/crds; the webhook's Certificate is validated against
 * the Certificate CRD (test/support/schemas.ts) and applied after it (test/apiserver/crds.sh pins
 * the same version and its hash).
 */
export const CERT_MANAGER_MODULE = 'github.com/cert-manager/cert-manager@v1.19.4';

/** The path of cert-manager's Certificate CRD, from the Go module proxy (cached by Go after the first call). */
export function certificateCrdPath(): string {
  let dir: string;
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', CERT_MANAGER_MODULE], { encoding: 'utf8', cwd: __dirname, env: { ...process.env, GOFLAGS: '-mod=mod' } });
    dir = JSON.parse(out).Dir;
  } catch (e) {
    throw new Error(`cannot get cert-manager's CRDs: 'go mod download ${CERT_MANAGER_MODULE}' failed (is Go installed and the Go module proxy reachable?): ${(e as Error).message}`);
  }
  return join(dir, 'deploy', 'crds', 'cert-manager.io_certificates.yaml');
}
