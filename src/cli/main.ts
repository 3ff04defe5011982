// The SDK warns on stderr that future releases need Node 22; the CLI promises one clear line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { buildProgram, runCli } = await import('./program.js');

process.exitCode = await runCli(buildProgram(), process.argv);
