import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { certificateCrdPath } from './cert-manager';

/**
 * Strict JSON-schema validation of synthesized objects:
 * - built-in kinds against Kubernetes 1.27's own OpenAPI document (api/openapi-spec/swagger.json of the
 *   k8s.io/kubernetes Go module, fetched through the Go module proxy), the API level of cdk8s-plus-27;
 * - SecurityContextConstraints against the openAPIV3Schema of OpenShift's CRD in ../shared;
 * - cert-manager's Certificate against its CRD, from cert-manager's Go module (test/support/cert-manager.ts).
 * Every object schema is closed (additionalProperties: false), so an unknown or misspelt field fails, as it
 * does under the API server's strict field validation.
 */
export const KUBERNETES_MODULE = 'k8s.io/kubernetes@v1.27.16';
export const SCC_CRD = join(__dirname, '..', '..', '..', 'shared', 'schemas', 'openshift', 'securitycontextconstraints.crd.yaml');

function kubernetesSwagger(): any {
  let dir: string;
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', KUBERNETES_MODULE], { encoding: 'utf8', cwd: __dirname, env: { ...process.env, GOFLAGS: '-mod=mod' } });
    dir = JSON.parse(out).Dir;
  } catch (e) {
    throw new Error(`cannot get the Kubernetes OpenAPI document: 'go mod download ${KUBERNETES_MODULE}' failed (is Go installed and the Go module proxy reachable?): ${(e as Error).message}`);
  }
  return JSON.parse(readFileSync(join(dir, 'api', 'openapi-spec', 'swagger.json'), 'utf8'));
}

/** Closes every object schema, recursively. */
function close(schema: any): any {
  if (Array.isArray(schema)) return schema.map(close);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = (k === 'properties' || k === 'definitions')
      ? Object.fromEntries(Object.entries(v as any).map(([pk, pv]) => [pk, close(pv)]))
      : close(v);
  }
  // OpenAPI 3 'nullable' is not JSON schema: express it as a type union.
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

export class StrictSchemas {
  private readonly byKind = new Map<string, ValidateFunction>();

  constructor() {
    const swagger = kubernetesSwagger();
    const definitions = close(swagger.definitions);
    // Types the API serializes either way.
    definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'k8s', definitions });
    for (const [name, def] of Object.entries<any>(swagger.definitions)) {
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        const key = `${apiVersion}/${gvk.kind}`;
        if (!this.byKind.has(key)) this.byKind.set(key, ajv.compile({ $ref: `k8s#/definitions/${name}` }));
      }
    }
    // OpenShift's SCC, and cert-manager's Certificate (the webhook's serving certificate).
    for (const crd of [SCC_CRD, certificateCrdPath()].map(file => parse(readFileSync(file, 'utf8')))) {
      for (const version of crd.spec.versions) {
        const schema = close(version.schema.openAPIV3Schema);
        // metadata is validated by the API server's ObjectMeta, not by the CRD schema.
        schema.properties.metadata = { $ref: 'k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' };
        this.byKind.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }

  /** The problems of one object, as 'Kind/name: /path message'; empty when valid. */
  public problems(obj: any): string[] {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const validate = this.byKind.get(key);
    const id = `${obj.kind}/${obj.metadata?.name}`;
    if (!validate) return [`${id}: no schema for ${key}`];
    if (validate(obj)) return [];
    return (validate.errors ?? []).map(e => `${id}: ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${(e.params as any).additionalProperty}'` : ''}`);
  }
}

let shared: StrictSchemas | undefined;
export function strictSchemas(): StrictSchemas {
  return shared ??= new StrictSchemas();
}
