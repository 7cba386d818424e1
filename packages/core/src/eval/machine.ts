/** A description of the machine a benchmark or evaluation ran on, stored with its numbers. */
import { cpus, totalmem, platform, arch } from "node:os";

/** Machine facts recorded beside every evaluation result. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
}

/** The machine this process runs on. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()}-${arch()}`,
    node: process.version,
  };
}
