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
  keywords: ['cdk8s', 'kubernetes', 'openshift', 'golang', 'vscode', 'remote-development'],
  devDeps: [
    'cdk8s-cli@^2.207.60',
    'kubernetes-models@^4.5.1',
    'ajv@^8.20.0',
    'yaml@^2.9.1',
    'ssh2@^1.17.0',
    '@types/ssh2@^1.15.0',
  ],
  // CI runs on a clean clone: no GitHub workflows, releases or mergify here.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/apiserver/'],
    },
  },
  gitignore: ['/dist/', '/.cache/', '/bench/results/'],
});

for (const p of ['/examples/', '/bench/', '/images/', '/.ci/', '/test/']) {
  project.addPackageIgnore(p);
}

// A test run that finds no test is a failure, not a pass.
project.testTask.reset('jest --ci', { receiveArgs: true });
project.testTask.spawn(project.tasks.tryFind('eslint')!);

project.synth();
