/** The first ExApp port; AppAPI hands out ports from here upward. */
export const FIRST_EXAPP_PORT = 23000;

/** Lists the ExApp ports: 23000 to 23000 + `count` - 1. */
export function exAppPorts(count: number): number[] {
  return Array.from({ length: count }, (_, index) => FIRST_EXAPP_PORT + index);
}

/** Formats sorted ports as ranges for the log: `23000-23002,23005`. */
export function formatPortRanges(ports: readonly number[]): string {
  const ranges: string[] = [];
  let start = ports[0];
  for (let i = 0; i < ports.length; i++) {
    const port = ports[i] ?? 0;
    if (ports[i + 1] === port + 1) continue;
    ranges.push(start === port ? `${port}` : `${start}-${port}`);
    start = ports[i + 1];
  }
  return ranges.join(",");
}
