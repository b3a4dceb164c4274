import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-go-remote',
  description: 'A cdk8s construct library for remote Go development environments (VS Code Remote-SSH, delve, supervisord) on Kubernetes and OpenShift',
  author: 'cdk8s-go-remote developers',
  authorAddress: 'dev@cdk8s-go-remote.local',
  repositoryUrl: 'https://github.com/cdk8s-go-remote/cdk8s-go-remote.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.2',
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  // The CLI (bin/cdk8s-go-remote) reads synthesized YAML.
  bundledDeps: ['yaml@^2.9.1'],
  bin: { 'cdk8s-go-remote': 'bin/cdk8s-go-remote' },
  keywords: ['cdk8s', 'kubernetes', 'openshift', 'golang', 'vscode', 'remote-development'],
  devDeps: [
    'cdk8s-cli@^2.207.60',
    'ajv@^8.20.0',
    'ssh2@^1.17.0',
    '@types/ssh2@^1.15.0',
    'tsconfig-paths@^4.2.0',
  ],
  // CI runs on a clean clone: no GitHub workflows, releases or mergify here.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'projenrc'],
    ignorePatterns: ['src/imports/', 'lib/', 'dist/', '.cache/', 'node_modules/'],
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // Only test/: .cache/ holds Go modules whose own jest snapshots would count as obsolete.
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/apiserver/'],
      // The examples import the package by its name, as a user's app does (see tsconfig paths below).
      moduleNameMapper: { '^cdk8s-go-remote$': '<rootDir>/src' },
    },
  },
  // The examples (and the test apps that import them) name the package 'cdk8s-go-remote', mapped to src/ here;
  // ts-node resolves the mapping at run time through tsconfig-paths.
  tsconfigDev: {
    compilerOptions: {
      baseUrl: '.',
      paths: { 'cdk8s-go-remote': ['../src'] },
    },
  },
  gitignore: ['/dist/', '/.cache/', '/bench/results/', '/test-reports/'],

  // jsii targets, named as cdk8s-plus names its own (github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27,
  // cdk8s-plus-27 / cdk8s_plus_27). With release: false nothing is published from here: `npx projen package-all`
  // (jsii-pacmak) writes the Go module to dist/go and the wheel to dist/python; test/bindings/run.sh builds both
  // and synthesizes the same environments from Go, Python and TypeScript.
  // No Java: it would bring a Maven build and a Java test app to the tier for users the issue does not name.
  publishToGo: {
    moduleName: 'github.com/cdk8s-go-remote/cdk8s-go-remote-go',
    packageName: 'cdk8sgoremote',
  },
  publishToPypi: {
    distName: 'cdk8s-go-remote',
    module: 'cdk8s_go_remote',
  },
});

// .cache/ holds Go module caches, built binaries and virtualenvs (gigabytes): never part of the npm tarball,
// which jsii-pacmak also embeds in the Go module and the wheel. tools/ builds test binaries.
for (const p of ['/examples/', '/bench/', '/images/', '/.ci/', '/test/', '/.cache/', '/tools/']) {
  project.addPackageIgnore(p);
}

// A test run that finds no test is a failure, not a pass. Tools the unit tests use beyond npm (supervisor's
// own parser, the Kubernetes OpenAPI document from the Go module proxy) are installed first.
project.testTask.reset('bash test/support/setup.sh');
project.testTask.exec('jest --ci', { receiveArgs: true });
project.testTask.spawn(project.tasks.tryFind('eslint')!);

// eslint resolves imports through every tsconfig, so that 'cdk8s-go-remote' in the examples resolves as at run time.
project.tryFindObjectFile('.eslintrc.json')!.addOverride('settings.import/resolver.typescript.project',
  ['./tsconfig.json', './test/tsconfig.json', './examples/tsconfig.json']);
project.tryFindObjectFile('.eslintrc.json')!.addOverride('settings.import/resolver.typescript.noWarnOnMultipleProjects', true);
project.tryFindObjectFile('test/tsconfig.json')!.addOverride('ts-node', { require: ['tsconfig-paths/register'] });

project.addTask('synth', {
  description: 'Synthesize the default example (examples/basic.ts) into dist/ with cdk8s synth (cdk8s.yaml), as a user app is',
  // --no-check-upgrade: the CLI would otherwise ask the npm registry for its newest version at every run.
  exec: 'cdk8s synth --no-check-upgrade',
});
project.addTask('synth:examples', {
  description: 'Synthesize every example into dist/examples/<name>/',
  exec: 'ts-node --project test/tsconfig.json examples/synth-all.ts',
});
project.addTask('test:e2e', {
  description: 'End-to-end tier: build the dev image, run the synthesized YAML under podman, talk SSH to it',
  exec: 'bash test/e2e/run.sh',
  receiveArgs: true,
});
project.addTask('test:apiserver', {
  description: 'API-server tier: apply every example and scenario to a real kube-apiserver built from Go modules',
  exec: 'bash test/apiserver/run.sh',
  receiveArgs: true,
});
project.addTask('import:scc', {
  description: 'Regenerate src/imports/openshift-security.ts from the OpenShift SCC CRD',
  steps: [
    { exec: 'cdk8s import schemas/openshift/securitycontextconstraints.crd.yaml --output src/imports --language typescript' },
    { exec: 'mv src/imports/security.openshift.io.ts src/imports/openshift-security.ts' },
    { exec: "sed -i '1s#.*#// generated by cdk8s import from schemas/openshift/securitycontextconstraints.crd.yaml (projen task import:scc). Do not edit.#' src/imports/openshift-security.ts" },
  ],
});
project.addTask('test:cluster', {
  description: 'Cluster tier: a real single-node Kubernetes cluster in its own network namespace; Flux applies the synthesized examples from Git; real SSH',
  exec: 'bash test/cluster/run.sh',
  receiveArgs: true,
});
project.addTask('test:bindings', {
  description: 'Bindings tier: jsii-pacmak Go and Python, synthesize the same environments from TypeScript, Go and Python, compare the YAML',
  exec: 'bash test/bindings/run.sh',
  receiveArgs: true,
});
project.addTask('test:linters', {
  description: 'Linter tier: kube-score (Go module) and Checkov (PyPI) over every example and node-access profile; every finding exempted with a reason or listed in README',
  exec: 'bash test/linters/run.sh',
  receiveArgs: true,
});
project.addTask('bench', {
  description: 'Synthesis benchmark: environments against the same objects as raw ApiObjects (not a test)',
  exec: 'ts-node --project test/tsconfig.json bench/synth.ts',
  receiveArgs: true,
});

project.synth();
