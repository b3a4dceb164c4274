import { readdirSync, readFileSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import * as ts from 'typescript';
import * as lib from '../src';

// The shape of src/, checked by reading every file's imports with TypeScript's own parser: no import cycle (type-only
// imports included), the leaf modules import nothing of the library's, and the package root exports a fixed list.

const SRC = join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The library's own modules each file imports or re-exports (relative specifiers only), as paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = new Set(sourceFiles(SRC));
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    const specifiers: string[] = [];
    const visit = (node: ts.Node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        specifiers.push(node.moduleSpecifier.text);
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)
        && ts.isStringLiteral(node.moduleReference.expression)) {
        specifiers.push(node.moduleReference.expression.text);
      } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
        && ((ts.isIdentifier(node.expression) && node.expression.text === 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
        specifiers.push(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    const targets = specifiers
      .filter(s => s.startsWith('.'))
      .map(s => resolve(dirname(file), s))
      .map(p => [`${p}.ts`, join(p, 'index.ts')].find(c => files.has(c)))
      .filter((p): p is string => p !== undefined)
      .map(p => relative(SRC, p));
    graph.set(relative(SRC, file), [...new Set(targets)].sort());
  }
  return graph;
}

/** The strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const strongConnect = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strongConnect(v);
  return found;
}

describe('the shape of src/', () => {
  const graph = importGraph();

  test('the parser sees the imports (a known edge)', () => {
    expect(graph.get('go-remote-environment.ts')).toEqual(expect.arrayContaining(['resolve.ts', 'emit.ts', 'contract.ts']));
    expect(graph.size).toBeGreaterThan(20);
  });

  test('no import cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('the check finds a cycle when there is one', () => {
    const withCycle = new Map(graph);
    withCycle.set('contract.ts', [...graph.get('contract.ts')!, 'resolve.ts']);
    expect(cycles(withCycle).some(c => c.includes('contract.ts') && c.includes('resolve.ts'))).toBe(true);
  });

  test('leaf modules import nothing of the library but the version (contract) or nothing at all (platform, version)', () => {
    expect(graph.get('contract.ts')).toEqual(['version.ts']);
    expect(graph.get('platform.ts')).toEqual([]);
    expect(graph.get('version.ts')).toEqual([]);
  });

  test('props.ts, the props of the constructs, imports only the vocabulary of the files of one concern', () => {
    const forbidden = ['resolve.ts', 'emit.ts', 'pod-template.ts', 'rbac.ts', 'go-remote-environment.ts', 'fleet.ts', 'fleet-resolve.ts', 'api-objects.ts'];
    expect(graph.get('props.ts')!.filter(m => forbidden.includes(m))).toEqual([]);
  });

  test('the resolve step builds no construct: it imports neither cdk8s constructs nor the emitters', () => {
    const reachable = (from: string, seen = new Set<string>()): Set<string> => {
      for (const m of graph.get(from) ?? []) if (!seen.has(m)) reachable(m, seen.add(m));
      return seen;
    };
    const fromResolve = reachable('resolve.ts');
    for (const m of ['emit.ts', 'api-objects.ts', 'pod-template.ts', 'rbac.ts', 'go-remote-environment.ts', 'fleet.ts']) expect(fromResolve.has(m)).toBe(false);
  });

  test('src/index.ts lists its exports (no export *), and the package root exports exactly the public API', () => {
    const index = ts.createSourceFile('index.ts', readFileSync(join(SRC, 'index.ts'), 'utf8'), ts.ScriptTarget.ES2022, false);
    const exportAll = index.statements.filter(st => ts.isExportDeclaration(st)
      && (st.exportClause === undefined || ts.isNamespaceExport(st.exportClause)));
    expect(exportAll.map(st => st.getText(index))).toEqual([]);
    expect(Object.keys(lib).sort()).toEqual([
      'AdmissionOperation', 'AdmissionRuleScope', 'AdmissionWebhookType', 'ApiAccess', 'ApiAccessKind', 'ApiVerb', 'AutoRestart',
      'CertManagerIssuerKind', 'ClientFiles', 'ContainerRuntime', 'GitOps', 'GoRemoteEnvironment', 'GoRemoteFleet', 'GrantScope',
      'HostPathType', 'NamespaceMode', 'NetworkPeer', 'NodeAccess', 'Platform', 'PodSecurityLevel', 'ServiceAccountTokenAccess',
      'ServiceExposure', 'SshRoute', 'SshRouteKind', 'ValidationErrors', 'WebhookCertificate', 'WebhookFailurePolicy', 'WorkspaceAccessMode',
    ]);
  });

  test('no export of the package root shares a name with an export of cdk8s-plus-27 (its vocabulary is reused, not repeated)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plus = Object.keys(require('cdk8s-plus-27'));
    expect(Object.keys(lib).filter(name => plus.includes(name))).toEqual([]);
  });

  test('the constants users need are static members of public classes (so Python and Go see them)', () => {
    expect([lib.GoRemoteEnvironment.DEFAULT_IMAGE, lib.GoRemoteEnvironment.SSH_PORT, lib.GoRemoteEnvironment.DELVE_PORT,
      lib.GoRemoteEnvironment.WEBHOOK_CERT_DIR, lib.GoRemoteEnvironment.WEBHOOK_CERT_DIR_ENV, lib.GoRemoteEnvironment.WEBHOOK_SERVICE_PORT])
      .toEqual([expect.stringMatching(/^ghcr.io\/cdk8s-go-remote\/go-remote:/), 2222, 2345, '/etc/go-remote/webhook-tls', 'GO_REMOTE_WEBHOOK_CERT_DIR', 443]);
    expect(lib.NodeAccess.HOST_PROC_MOUNT_PATH).toBe('/host/proc');
    expect([lib.GitOps.SYNC_WAVE_ANNOTATION, lib.GitOps.RESPECT_IGNORE_DIFFERENCES]).toEqual(['argocd.argoproj.io/sync-wave', 'RespectIgnoreDifferences=true']);
  });
});
