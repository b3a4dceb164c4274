import { join } from 'path';
import * as ts from 'typescript';

// The props cannot express a wrong environment: the combinations 0.x refused at run time (a grant, or idle stop,
// without the environment's own token; a grant beside a kubeconfig alone or an impersonated ServiceAccount;
// idle stop with an impersonated ServiceAccount; source ranges without a load balancer) do not compile. Each
// snippet below is type-checked by TypeScript itself against src/, as a user's code would be.

const HEADER = `
import { Chart, Duration } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { ApiAccess, GoRemoteEnvironment, ServiceExposure } from '../src';
declare const chart: Chart;
export {};
`;

/** TypeScript's diagnostics for each snippet, compiled together as files of test/ (one program, one type check). */
function diagnostics(snippets: { [name: string]: string }): { [name: string]: string[] } {
  const files = new Map(Object.entries(snippets).map(([name, code]) => [join(__dirname, `__snippet_${name}.ts`), HEADER + code]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) => files.has(fileName)
    ? ts.createSourceFile(fileName, files.get(fileName)!, languageVersion)
    : getSourceFile.call(host, fileName, languageVersion, ...rest);
  const fileExists = host.fileExists;
  host.fileExists = fileName => files.has(fileName) || fileExists.call(host, fileName);
  const program = ts.createProgram([...files.keys()], options, host);
  const out: { [name: string]: string[] } = {};
  for (const [name] of Object.entries(snippets)) {
    const file = program.getSourceFile(join(__dirname, `__snippet_${name}.ts`))!;
    out[name] = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
      .map(d => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  }
  return out;
}

describe('props: what 0.x refused at run time does not compile', () => {
  const d = diagnostics({
    // Legal: compiles without a diagnostic.
    legal: `
      new GoRemoteEnvironment(chart, 'a', {
        authorizedKeys: [],
        apiAccess: ApiAccess.serviceAccountToken({ idleStop: Duration.minutes(30), kubeconfig: { secretName: 'k' } })
          .grantRead(ApiResource.PODS).grantClusterRead(ApiResource.NODES),
        exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }),
      });
      new GoRemoteEnvironment(chart, 'b', { authorizedKeys: [], apiAccess: ApiAccess.impersonatedServiceAccount('w', { mountToken: true }) });`,
    grantWithoutToken: 'ApiAccess.none().grantRead(ApiResource.PODS);',
    grantBesideKubeconfigAlone: 'ApiAccess.kubeconfig({ secretName: \'k\' }).grantRead(ApiResource.PODS);',
    grantToImpersonated: 'ApiAccess.impersonatedServiceAccount(\'w\').grant({ resources: [ApiResource.PODS], verbs: [] });',
    idleStopWithoutToken: 'ApiAccess.none({ idleStop: Duration.minutes(5) });',
    idleStopWithImpersonated: 'ApiAccess.impersonatedServiceAccount(\'w\', { idleStop: Duration.minutes(5) });',
    sourceRangesWithoutLoadBalancer: 'ServiceExposure.nodePort({ sourceRanges: [\'10.0.0.0/8\'] }); ServiceExposure.clusterIp({ sourceRanges: [\'10.0.0.0/8\'] });',
    props0x: 'new GoRemoteEnvironment(chart, \'c\', { authorizedKeys: [], serviceType: \'ClusterIP\', sourceRanges: [], serviceAccountToken: false, idleStop: Duration.minutes(5) });',
  });

  test('the legal combinations compile', () => expect(d.legal).toEqual([]));
  test('a grant needs ApiAccess.serviceAccountToken(): none() has no grant methods', () => {
    expect(d.grantWithoutToken).toEqual([expect.stringMatching(/Property 'grantRead' does not exist on type 'ApiAccess'/)]);
  });
  test('a kubeconfig alone takes no grant (its user is granted elsewhere; both: serviceAccountToken({ kubeconfig }))', () => {
    expect(d.grantBesideKubeconfigAlone).toEqual([expect.stringMatching(/Property 'grantRead' does not exist on type 'ApiAccess'/)]);
  });
  test('an impersonated ServiceAccount takes no grant', () => {
    expect(d.grantToImpersonated).toEqual([expect.stringMatching(/Property 'grant' does not exist on type 'ApiAccess'/)]);
  });
  test('idle stop is an option of the environment\'s own token only', () => {
    expect(d.idleStopWithoutToken).toEqual([expect.stringMatching(/Expected 0 arguments, but got 1/)]);
    expect(d.idleStopWithImpersonated).toEqual([expect.stringMatching(/'idleStop' does not exist in type 'ImpersonatedServiceAccountOptions'/)]);
  });
  test('source ranges are an option of the load balancer only', () => {
    expect(d.sourceRangesWithoutLoadBalancer).toEqual([
      expect.stringMatching(/Expected 0 arguments, but got 1/), expect.stringMatching(/Expected 0 arguments, but got 1/),
    ]);
  });
  test('the props of 0.x are gone', () => {
    expect(d.props0x).toEqual([expect.stringMatching(/'serviceType' does not exist in type 'GoRemoteEnvironmentProps'/)]);
  });
});
