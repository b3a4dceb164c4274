import { chmodSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Component, JsonFile, Project, cdk8s, javascript } from 'projen';
import { JobPermission } from 'projen/lib/github/workflows-model';

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
  workflowNodeVersion: '20.x',

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
    'fast-check@^4.11.0',
  ],
  // 0.x: the API may still change (jsii-diff is not enforced for experimental APIs until 1.0).
  stability: 'experimental',
  homepage: 'https://github.com/cdk8s-go-remote/cdk8s-go-remote',

  // The project's future GitHub repository: a build workflow for pull requests, a release workflow on main that
  // publishes npm, PyPI and the Go module with jsii's publishers (tokens: NPM_TOKEN, TWINE_USERNAME/
  // TWINE_PASSWORD, GO_GITHUB_TOKEN), and the dev image (the release_image job below). Nothing runs here: CI
  // (.ci/run) lints these workflows with actionlint.
  github: true,
  buildWorkflow: true,
  release: true,
  releaseToNpm: true,
  npmProvenance: true,
  depsUpgrade: true,
  pullRequestTemplate: false,
  githubOptions: { mergify: false },
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
      // No coverage in `npm test`: it more than doubled jest's time (164 s against 70 s on 2 cores) and
      // nothing reads it. `npx jest --coverage` still reports it on demand.
      collectCoverage: false,
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

// ---- the dev image: built for linux/amd64 and linux/arm64, tagged with the released package version (the
// version DEFAULT_IMAGE names, src/version.ts), pushed to GHCR with an SBOM and build provenance, signed keyless
// with cosign. .github/workflows/image.yml is reusable: the release workflow calls it with the version it just
// released, and pull requests that touch images/ build it without pushing.
const imageWorkflow = project.github!.addWorkflow('image');
imageWorkflow.on({
  workflowCall: {
    inputs: {
      version: { type: 'string', required: true, description: 'The released package version (the image tag)' },
      push: { type: 'boolean', required: false, default: false, description: 'Push, attest and sign (false: build only, as for a dry run)' },
    },
  },
  pullRequest: { paths: ['images/**', '.github/workflows/image.yml'] },
});
const IMAGE = 'ghcr.io/cdk8s-go-remote/go-remote';
imageWorkflow.addJobs({
  image: {
    name: 'Build (and on release: push, attest, sign) the dev image',
    runsOn: ['ubuntu-latest'],
    permissions: {
      contents: JobPermission.READ,
      packages: JobPermission.WRITE,
      idToken: JobPermission.WRITE, // cosign keyless signing
      attestations: JobPermission.WRITE,
    },
    env: { IMAGE, VERSION: "${{ inputs.version || 'pr' }}" },
    steps: [
      { name: 'Checkout', uses: 'actions/checkout@v4' },
      { name: 'Set up QEMU (linux/arm64 on an amd64 runner)', uses: 'docker/setup-qemu-action@v3' },
      { name: 'Set up Buildx', uses: 'docker/setup-buildx-action@v3' },
      {
        name: 'Log in to GHCR',
        if: '${{ inputs.push }}',
        uses: 'docker/login-action@v3',
        with: { registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' },
      },
      {
        name: 'Build for linux/amd64 and linux/arm64 (push on release, with SBOM and provenance)',
        id: 'build',
        uses: 'docker/build-push-action@v6',
        with: {
          context: 'images/go-remote',
          file: 'images/go-remote/Containerfile',
          platforms: 'linux/amd64,linux/arm64',
          push: '${{ inputs.push }}',
          tags: '${{ env.IMAGE }}:${{ env.VERSION }}',
          sbom: true,
          provenance: 'mode=max',
          labels: 'org.opencontainers.image.source=${{ github.server_url }}/${{ github.repository }}\norg.opencontainers.image.version=${{ env.VERSION }}',
        },
      },
      { name: 'Install cosign', if: '${{ inputs.push }}', uses: 'sigstore/cosign-installer@v3' },
      {
        name: 'Sign the pushed image (keyless, by digest)',
        if: '${{ inputs.push }}',
        env: { DIGEST: '${{ steps.build.outputs.digest }}' },
        run: 'cosign sign --yes "${IMAGE}@${DIGEST}"',
      },
      {
        name: 'Attest build provenance in the registry',
        if: '${{ inputs.push }}',
        uses: 'actions/attest-build-provenance@v2',
        with: { 'subject-name': '${{ env.IMAGE }}', 'subject-digest': '${{ steps.build.outputs.digest }}', 'push-to-registry': true },
      },
    ],
  },
});
// The release workflow publishes the image of the version it released (dist/version.txt of its build artifact).
project.release!.addJobs({
  release_image_version: {
    name: 'Read the released version',
    needs: ['release'],
    if: "needs.release.outputs.tag_exists != 'true' && needs.release.outputs.latest_commit == github.sha",
    runsOn: ['ubuntu-latest'],
    permissions: { contents: JobPermission.READ },
    outputs: { version: { stepId: 'version', outputName: 'version' } },
    steps: [
      {
        name: 'Download build artifacts',
        uses: 'actions/download-artifact@v4',
        with: { 'artifact-ids': '${{ needs.release.outputs.artifact_id }}', 'path': 'dist' },
      },
      { name: 'Version', id: 'version', run: 'echo "version=$(cat dist/version.txt)" >> "$GITHUB_OUTPUT"' },
    ],
  },
});
project.github!.tryFindWorkflow('release')!.addJobs({
  release_image: {
    needs: ['release_image_version'],
    permissions: { contents: JobPermission.READ, packages: JobPermission.WRITE, idToken: JobPermission.WRITE, attestations: JobPermission.WRITE },
    uses: './.github/workflows/image.yml',
    with: { version: '${{ needs.release_image_version.outputs.version }}', push: '${{ !inputs.dry_run }}' },
  },
});

// Bots: projen's upgrade workflow bumps the npm dependencies; Renovate bumps the base image's digest (the
// regex manager reads the '# renovate:' comment above ARG BASE in the Containerfile) and the actions' tags.
new JsonFile(project, 'renovate.json', {
  obj: {
    $schema: 'https://docs.renovatebot.com/renovate-schema.json',
    extends: ['config:recommended'],
    enabledManagers: ['custom.regex', 'github-actions'],
    customManagers: [{
      customType: 'regex',
      description: 'The dev image\'s base, pinned by tag and digest (images/go-remote/Containerfile)',
      managerFilePatterns: ['/(^|/)Containerfile$/'],
      matchStrings: ['# renovate: datasource=(?<datasource>\\S+) depName=(?<depName>\\S+)\\s+ARG BASE=\\S+:(?<currentValue>[^@\\s]+)@(?<currentDigest>sha256:[a-f0-9]{64})'],
    }],
  },
});

/**
 * Quotes the shell in the run steps projen generates, so that actionlint (with shellcheck) finds nothing in any
 * workflow (.ci/run fails on any finding). Each replacement must apply: when a projen upgrade changes the text,
 * synthesis fails here and the list is revisited, rather than a finding being silenced.
 */
class WorkflowShellQuoting extends Component {
  private static readonly FIXES: Array<[file: string, from: string, to: string]> = [
    ['build.yml', 'echo "self_mutation_happened=true" >> $GITHUB_OUTPUT', 'echo "self_mutation_happened=true" >> "$GITHUB_OUTPUT"'],
    ['upgrade-main.yml', 'echo "patch_created=true" >> $GITHUB_OUTPUT', 'echo "patch_created=true" >> "$GITHUB_OUTPUT"'],
    ['release.yml',
      '([ ! -z "$TAG" ] && git ls-remote -q --exit-code --tags origin $TAG && (echo "exists=true" >> $GITHUB_OUTPUT)) || (echo "exists=false" >> $GITHUB_OUTPUT)\n          cat $GITHUB_OUTPUT',
      'if [ -n "$TAG" ] && git ls-remote -q --exit-code --tags origin "$TAG"; then echo "exists=true" >> "$GITHUB_OUTPUT"; else echo "exists=false" >> "$GITHUB_OUTPUT"; fi\n          cat "$GITHUB_OUTPUT"'],
    ['release.yml',
      'echo "latest_commit=$(git ls-remote origin -h "$GITHUB_REF" | cut -f1)" >> $GITHUB_OUTPUT\n          cat $GITHUB_OUTPUT',
      'echo "latest_commit=$(git ls-remote origin -h "$GITHUB_REF" | cut -f1)" >> "$GITHUB_OUTPUT"\n          cat "$GITHUB_OUTPUT"'],
    ['release.yml',
      'tag=$(cat "$RELEASE_TAG_FILE") &&\n          gh release view "$tag" -R "$GITHUB_REPOSITORY" 2>/dev/null ||\n          gh release create "$tag" -R "$GITHUB_REPOSITORY" -F "$CHANGELOG_FILE" -t "$tag" --target "$GITHUB_SHA"',
      'tag=$(cat "$RELEASE_TAG_FILE")\n          if ! gh release view "$tag" -R "$GITHUB_REPOSITORY" 2>/dev/null; then\n            gh release create "$tag" -R "$GITHUB_REPOSITORY" -F "$CHANGELOG_FILE" -t "$tag" --target "$GITHUB_SHA"\n          fi'],
  ];

  constructor(owner: Project) {
    super(owner);
  }

  public postSynthesize(): void {
    for (const [file, from, to] of WorkflowShellQuoting.FIXES) {
      const path = join(this.project.outdir, '.github', 'workflows', file);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(from)) throw new Error(`${path}: projen no longer generates the step this fix expects; revisit WorkflowShellQuoting`);
      chmodSync(path, 0o644); // projen writes generated files read-only
      writeFileSync(path, text.split(from).join(to));
      chmodSync(path, 0o444);
    }
  }
}
new WorkflowShellQuoting(project);

// .cache/ holds Go module caches, built binaries and virtualenvs (gigabytes): never part of the npm tarball,
// which jsii-pacmak also embeds in the Go module and the wheel. tools/ builds test binaries.
for (const p of ['/examples/', '/bench/', '/images/', '/.ci/', '/test/', '/.cache/', '/tools/', '/schemas/', '/cdk8s.yaml', '/renovate.json']) {
  project.addPackageIgnore(p);
}

// A test run that finds no test is a failure, not a pass. Tools the unit tests use beyond npm (supervisor's
// own parser, the Kubernetes OpenAPI document from the Go module proxy) are installed first.
project.testTask.reset('bash test/support/setup.sh');
project.testTask.exec('jest --ci', { receiveArgs: true });
project.testTask.spawn(project.tasks.tryFind('eslint')!);

// README's first command (npm ci && npm run synth) must be quick on a fresh machine: optional dependencies are
// not needed to build or test (cdk8s-plus-27's release tool 'backport' alone is 150 packages; ssh2's native
// speed-up; jest's watch-mode binaries), and more parallel downloads help on an empty npm cache.
project.npmrc.addConfig('omit', 'optional');
project.npmrc.addConfig('maxsockets', '50');

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
project.addTask('image', {
  description: 'Build the dev image (images/go-remote) with podman or docker: npm run image -- --tag <ref>; prints the reference for `image`',
  exec: 'bash tools/image/build.sh',
  receiveArgs: true,
});
project.addTask('test:api', {
  description: 'API compatibility tier: the jsii assembly against the 1.0 baseline (test/api/baseline.jsii) with jsii-diff; --update records a deliberate break',
  exec: 'bash test/api/run.sh',
  receiveArgs: true,
});
project.addTask('lint:repo', {
  description: 'shellcheck over every shell script and actionlint over every workflow; fails on any finding',
  exec: 'bash tools/lint/run.sh',
});
project.addTask('test:package', {
  description: 'Package tier: npm pack, install the tarball into a fresh cdk8s app outside the repository, cdk8s synth; every README link resolves',
  exec: 'bash test/package/run.sh',
  receiveArgs: true,
});
// `npm pack` (and npm publish) from a fresh clone must ship the compiled lib/.
project.addTask('prepack', { description: 'Compile (jsii) before npm pack, so that the tarball holds lib/' }).spawn(project.compileTask);
project.addTask('bench', {
  description: 'Synthesis benchmark: environments against the same objects as raw ApiObjects (not a test)',
  exec: 'ts-node --project test/tsconfig.json bench/synth.ts',
  receiveArgs: true,
});

project.synth();
