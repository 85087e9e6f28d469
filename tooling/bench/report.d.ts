export interface BenchRow { name: string; value: number; unit: string; target?: string; note?: string }
export declare function machine(): { node: string; platform: string; cpus: number; cpuModel: string; memoryGiB: number };
export declare function report(suite: string, rows: BenchRow[]): void;
export declare function opsPerSecond(fn: () => number, ms?: number): number;
