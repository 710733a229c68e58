// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Imports flow one way (STYLE.md, "Layout"): cli → server → {serve, lifecycle, admin, log} →
 * {http, progress, config} → errors. Each part lists the parts it must not reach into.
 */
const PARTS = ['config', 'http', 'serve', 'progress', 'lifecycle', 'log', 'admin', 'cli'];
const FORBIDDEN = {
  config: ['http', 'serve', 'progress', 'lifecycle', 'log', 'admin', 'cli'],
  http: ['config', 'serve', 'progress', 'lifecycle', 'log', 'admin', 'cli'],
  serve: ['progress', 'lifecycle', 'log', 'admin', 'cli'],
  progress: ['config', 'serve', 'lifecycle', 'log', 'admin', 'cli'],
  lifecycle: ['serve', 'log', 'admin', 'cli'],
  log: ['http', 'serve', 'progress', 'lifecycle', 'admin', 'cli'],
  admin: ['serve', 'log', 'cli'],
  cli: ['http', 'serve'],
};

/** @param {string} part */
function layering(part) {
  const banned = FORBIDDEN[/** @type {keyof typeof FORBIDDEN} */ (part)];
  // Only the CLI may start the server.
  const root = part === 'cli' ? [] : ['../server.js'];
  return {
    files: [`src/${part}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...banned.map((p) => `../${p}/*`), ...root],
              message: `src/${part} must not import ${banned.join(', ')}${root.length > 0 ? ' or the composition root' : ''} (imports flow one way).`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs what test() registers; its returned promise is not ours to await.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...PARTS.map(layering),
  {
    files: ['src/errors.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: ['./*'] }] },
  },
  {
    files: ['src/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['./cli/*'], message: 'the composition root must not import cli.' }],
        },
      ],
    },
  },
);
