// The end-to-end tier's own jest configuration. Run it through `bash test/e2e/run.sh`, which builds the
// image first; the unit tests' configuration (package.json) ignores test/e2e/.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  // Only this directory is searched (the Go module cache under .cache/ holds foreign jest snapshots).
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
  },
  testEnvironment: 'node',
  testTimeout: 10 * 60 * 1000,
  maxWorkers: 1,
  collectCoverage: false,
  reporters: ['default'],
};
