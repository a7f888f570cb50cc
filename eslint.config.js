// Lint rules that earn their keep, and the floors of ../shared/ARCHITECTURE.md as errors.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/** Import paths a floor may not reach, as glob patterns over the specifier. */
const floor = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.d.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Contract methods are async by signature; an implementation that needs no await is fine.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='innerHTML']", message: 'No innerHTML: render text.' },
        { selector: "MemberExpression[property.name='outerHTML']", message: 'No outerHTML.' },
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'No dangerouslySetInnerHTML.' },
        { selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|test|describe)$/]", message: 'No .only in tests.' },
        { selector: "CallExpression[callee.property.name='skip'][callee.object.name=/^(it|test|describe)$/]", message: 'No .skip in tests.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Floors: who may import whom.
  {
    files: ['native-protocol/**'],
    rules: floor(['**/core/**', '**/adapters/**', '**/electron/**', '**/renderer/**'], 'native-protocol stands alone.'),
  },
  {
    files: ['adapters/**'],
    rules: floor(['**/core/**', '**/electron/**', '**/renderer/**'], 'adapters may import only protocol libraries and native-protocol/client.'),
  },
  {
    files: ['core/**'],
    rules: floor(
      ['**/electron/**', '**/renderer/**', '**/test/**', '**/adapters/*/**', 'electron'],
      'core never imports electron, renderer, tests or a protocol adapter (only the adapter contract and registry).',
    ),
  },
  {
    files: ['electron/**'],
    rules: floor(['**/renderer/**', '**/adapters/*/**', '**/test/**'], 'electron may import core and electron only.'),
  },
  {
    files: ['renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/core/api/**'], allowTypeImports: true, message: 'The renderer imports core/api for types only (import type).' },
            { regex: '(^|/)core/(?!api/)', message: 'The renderer talks only to core/api.' },
            {
              group: ['**/adapters/**', '**/electron/**', '**/native-protocol/**', '**/test/**', 'node:*', 'electron', 'better-sqlite3', 'ws', 'zod'],
              message: 'The renderer never reaches Node, an adapter or the shell.',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer imports core/api for types only.
    files: ['renderer/**'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', disallowTypeAnnotations: true }],
    },
  },
);
