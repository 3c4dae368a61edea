// What the commands run with, and what main.ts wires for them.
import type { Config } from "../config.ts";
import type { RunDeps } from "../digest/run-deps.ts";
import type { TickReport } from "../digest/tick.ts";
import type { ArxivLookup } from "../sources/arxiv.ts";

/** What a command runs with: main.ts builds it from the validated config. */
export type AppContext = RunDeps & {
  config: Config;
  databaseUrl: string;
  /** True when PAPERBOY_SECRET is unset and a generated local secret is used. */
  secretIsGenerated: boolean;
  close(): Promise<void>;
};

/** What main.ts wires for the commands. */
export type Wiring = {
  /** Opens the context (config from the environment, with `override`), runs `action`, always closes (stopping an embedded database). */
  withContext<T>(action: (ctx: AppContext) => Promise<T>, override?: Partial<Config>): Promise<T>;
  /** The web app, and unless `digests` is false the scheduler and queue workers, until SIGINT/SIGTERM. */
  serve(ctx: AppContext, options?: { digests?: boolean }): Promise<void>;
  /** `count` queue workers until SIGINT/SIGTERM. */
  work(ctx: AppContext, count: number): Promise<void>;
  /** One scheduler tick onto the queue. */
  tick(ctx: AppContext): Promise<TickReport>;
  /** arXiv lookups for like: topics, when PAPERBOY_SOURCES has an arXiv source. */
  lookupArxiv(ctx: AppContext): ArxivLookup | undefined;
};
