// Public surface of cli/: the program, its runner and the error vocabulary.
export type { CliDeps, GlobalOptions, Writer } from './deps.js';
export { defaultDeps } from './deps.js';
export type { CliErrorCode } from './errors.js';
export { CLI_ERROR_CODES, CliError, causeChain, EXIT_CODE, toCliError } from './errors.js';
export { buildProgram, runCli } from './program.js';
