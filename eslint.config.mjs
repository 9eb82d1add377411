import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.leadscore/**',
      'coverage/**',
      'tools/**',
      '.tools/**',
      '.scratch/**',
      'bench/.data/**',
      '.package/**',
      '.azurite/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The type-aware rules (floating promises, unsafe any, base-to-string, …) on every TypeScript file.
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Ports return promises; a synchronous adapter (node:sqlite, the local lake) implements them as
      // async methods on purpose, so that what it throws reaches the caller as a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON they just produced (CLI output, HTTP bodies, model.json) and assert on its fields.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // The bodies the handlers return are strings; String() only narrows the type.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
