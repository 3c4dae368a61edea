// The part of autocannon's API (it ships no types) the benchmark uses.
declare module "autocannon" {
  type Request = { method?: string; path?: string; headers?: Record<string, string>; body?: string; setupRequest?: (request: Request, context: Record<string, unknown>) => Request };
  type Histogram = { average: number; p50: number; p90: number; p99: number; max: number };
  export type Result = { latency: Histogram; requests: Histogram & { total: number }; non2xx: number; errors: number; timeouts: number; duration: number };
  export default function autocannon(options: { url: string; connections?: number; duration?: number; amount?: number; overallRate?: number; requests?: Request[] }): Promise<Result>;
}
