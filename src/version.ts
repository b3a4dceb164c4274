/**
 * The package's own version and the dev image it defaults to: one source of truth. The release workflow
 * publishes the npm package, the Python wheel, the Go module and the image `IMAGE_REPOSITORY:<version>` from
 * the same version (package.json's `version`, set by the release; 0.0.0 in the repository between releases).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PACKAGE_VERSION: string = require('../package.json').version;

/** Where the release workflow pushes the dev image (images/go-remote). */
export const IMAGE_REPOSITORY = 'ghcr.io/cdk8s-go-remote/go-remote';
