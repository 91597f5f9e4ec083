import { VARIABLES } from "../config/variables.ts";

/** The program's version, set by the build from package.json. */
export const VERSION: string =
  (globalThis as { APPAPI_DSP_VERSION?: string }).APPAPI_DSP_VERSION ?? "dev";

/** Builds the `--help` text, variables included. */
export function helpText(): string {
  const lines = [
    "appapi-dsp: a strict Docker Engine socket proxy for Nextcloud AppAPI",
    "",
    "Usage:",
    "  appapi-dsp                 serve (configured by environment variables)",
    "  appapi-dsp healthcheck     exit 0 when the local listener answers",
    "  appapi-dsp check-config    validate the environment and print it",
    "  appapi-dsp --version       print the version",
    "  appapi-dsp --help          print this help",
    "",
    "Environment:",
  ];
  for (const item of Object.values(VARIABLES)) {
    const fallback = item.fallback === undefined || item.fallback === ""
      ? ""
      : ` (default ${item.fallback})`;
    lines.push(`  ${item.name.padEnd(26)}${item.meaning}${fallback}`);
  }
  return lines.join("\n") + "\n";
}
