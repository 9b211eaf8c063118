import { cpus, loadavg, totalmem } from "node:os";

/** The machine a run was measured on. */
export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  /** 1-, 5- and 15-minute load averages when the run started and when it ended. */
  readonly loadAtStart: ReadonlyArray<number>;
  readonly loadAtEnd: ReadonlyArray<number>;
}

/** The current load averages, rounded to two decimals. */
export const currentLoad = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/** Describes this machine; `loadAtStart` is what `currentLoad()` said before the run. */
export const describeMachine = (loadAtStart: ReadonlyArray<number>): Machine => {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAtStart,
    loadAtEnd: currentLoad(),
  };
};
