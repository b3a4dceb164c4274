import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { IMAGE_REPOSITORY, PACKAGE_VERSION } from '../src/version';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const workflow = (name: string) => parse(read(`.github/workflows/${name}.yml`));

describe('release machinery: one version for the packages and the dev image', () => {
  test('the version the library reads is package.json\'s, the one the release sets (the default image is IMAGE_REPOSITORY:<it>)', () => {
    expect(PACKAGE_VERSION).toBe(JSON.parse(read('package.json')).version);
    expect(IMAGE_REPOSITORY).toBe('ghcr.io/cdk8s-go-remote/go-remote');
  });

  test('the image workflow builds amd64 and arm64, tags IMAGE_REPOSITORY with the version it is given, attaches an SBOM and provenance, and signs by digest', () => {
    const image = workflow('image');
    expect(Object.keys(image.on.workflow_call.inputs)).toEqual(['version', 'push']);
    const job = image.jobs.image;
    expect(job.env.IMAGE).toBe(IMAGE_REPOSITORY);
    expect(job.env.VERSION).toContain('inputs.version');
    const build = job.steps.find((s: any) => s.id === 'build');
    expect(build.with).toMatchObject({
      platforms: 'linux/amd64,linux/arm64',
      push: '${{ inputs.push }}',
      tags: '${{ env.IMAGE }}:${{ env.VERSION }}',
      sbom: true,
      provenance: 'mode=max',
    });
    const sign = job.steps.find((s: any) => /cosign sign/.test(s.run ?? ''));
    expect(sign.run).toBe('cosign sign --yes "${IMAGE}@${DIGEST}"');
    expect(sign.env.DIGEST).toBe('${{ steps.build.outputs.digest }}');
    expect(job.permissions['id-token']).toBe('write');
  });

  test('the release workflow publishes npm, PyPI and Go, and calls the image workflow with the version it released (not on a dry run)', () => {
    const release = workflow('release');
    expect(Object.keys(release.jobs)).toEqual(expect.arrayContaining(['release', 'release_npm', 'release_pypi', 'release_golang', 'release_image']));
    expect(release.jobs.release_image.uses).toBe('./.github/workflows/image.yml');
    expect(release.jobs.release_image.with).toEqual({
      version: '${{ needs.release_image_version.outputs.version }}',
      push: '${{ !inputs.dry_run }}',
    });
    const version = release.jobs.release_image_version;
    expect(version.needs).toBe('release');
    expect(version.steps.map((s: any) => s.run).filter(Boolean)).toEqual(['echo "version=$(cat dist/version.txt)" >> "$GITHUB_OUTPUT"']);
  });

  test('the base image is pinned by tag and digest, and Renovate\'s regex manager reads that very line', () => {
    const containerfile = read('images/go-remote/Containerfile');
    const renovate = JSON.parse(read('renovate.json'));
    const manager = renovate.customManagers[0];
    const match = new RegExp(manager.matchStrings[0]).exec(containerfile);
    expect(match?.groups).toEqual({
      datasource: 'docker',
      depName: 'docker.io/library/golang',
      currentValue: expect.stringMatching(/^\d+\.\d+\.\d+-bookworm$/),
      currentDigest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
    });
    expect(containerfile).toContain(`ARG BASE=${match!.groups!.depName}:${match!.groups!.currentValue}@${match!.groups!.currentDigest}`);
    expect(new RegExp(manager.managerFilePatterns[0].slice(1, -1)).test('images/go-remote/Containerfile')).toBe(true);
  });

  test('Construct Hub conventions: jsii targets, the cdk8s keyword, a permissive license, experimental while 0.x, and npm pack compiles first', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.keywords).toContain('cdk8s');
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.stability).toBe('experimental');
    expect(pkg.jsii.targets).toEqual({
      python: { distName: 'cdk8s-go-remote', module: 'cdk8s_go_remote' },
      go: { moduleName: 'github.com/cdk8s-go-remote/cdk8s-go-remote-go', packageName: 'cdk8sgoremote' },
    });
    expect(pkg.scripts.prepack).toBe('projen prepack');
    const tasks = JSON.parse(read('.projen/tasks.json')).tasks;
    expect(tasks.prepack.steps).toEqual([{ spawn: 'compile' }]);
  });
});
