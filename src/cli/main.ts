import { buildProgram, runCli } from './program.js';

await runCli(buildProgram(), process.argv);
