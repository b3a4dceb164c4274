import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { gunzipSync } from 'zlib';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/**
 * Strict JSON-schema validation of synthesized objects, from documents vendored under schemas/ (each folder's
 * SOURCE.md names the upstream repository, commit and path, and the checksum checked here):
 * - built-in kinds against Kubernetes 1.27's own OpenAPI document (api/openapi-spec/swagger.json of
 *   kubernetes/kubernetes v1.27.16), the API level of cdk8s-plus-27;
 * - SecurityContextConstraints against the openAPIV3Schema of OpenShift's CRD (openshift/api);
 * - cert-manager's Certificate against its CRD (cert-manager v1.19.4, the version test/apiserver/crds.sh pins).
 * Every object schema is closed (additionalProperties: false), so an unknown or misspelt field fails, as it
 * does under the API server's strict field validation.
 */
export const SCHEMAS_DIR = join(__dirname, '..', '..', 'schemas');
export const KUBERNETES_SWAGGER = join(SCHEMAS_DIR, 'kubernetes', 'swagger-v1.27.16.json.gz');
export const SCC_CRD = join(SCHEMAS_DIR, 'openshift', 'securitycontextconstraints.crd.yaml');
export const CERTIFICATE_CRD = join(SCHEMAS_DIR, 'cert-manager', 'cert-manager.io_certificates.yaml');

/** sha256 of each vendored document (of the JSON inside the gzip for the swagger), as its SOURCE.md records. */
export const VENDORED_SHA256: Record<string, string> = {
  [KUBERNETES_SWAGGER]: '2ff17583954f409b1c1ed316144aa6666a2a75f9de0742df05bb66723b0d1b91',
  [SCC_CRD]: 'caeeb85886a16888227e7a924a9e8e861a7aa0cbf62cf0252a316f90692a2837',
  [CERTIFICATE_CRD]: '7c99af3441710ffb4c0988c87a36a1448b293d4c99bf4e5ca8d3adbfc1f63b3e',
};

/** A vendored document's text, refused when it is not the pinned upstream content. */
export function readVendored(file: string): string {
  const raw = readFileSync(file);
  const bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== VENDORED_SHA256[file]) {
    throw new Error(`${file} has sha256 ${sha}, but ${VENDORED_SHA256[file] ?? 'no checksum'} is pinned (see SOURCE.md beside it)`);
  }
  return bytes.toString('utf8');
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
    const swagger = JSON.parse(readVendored(KUBERNETES_SWAGGER));
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
    for (const crd of [SCC_CRD, CERTIFICATE_CRD].map(file => parse(readVendored(file)))) {
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
