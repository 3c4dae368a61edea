// Runs the tick on a cron schedule (node-cron). A tick never overlaps the
// previous one and never throws out of the timer.
import cron from "node-cron";
import { AppError, describeError } from "../errors.ts";
import type { Log } from "../log.ts";

export type Scheduler = { stop(): Promise<void> };

/** Schedules `tick`; throws CONFIG_INVALID for a bad cron expression. */
export function startScheduler(options: { cron: string; timezone: string; tick: () => Promise<unknown>; log: Log }): Scheduler {
  if (!cron.validate(options.cron)) throw new AppError("CONFIG_INVALID", `PAPERBOY_CRON "${options.cron}" is not a cron expression`);
  let running: Promise<unknown> | undefined;
  const fire = () => {
    if (running) {
      options.log.warn("scheduler: previous tick still running; skipping this one (the next tick catches up)");
      return;
    }
    running = options
      .tick()
      .catch((error: unknown) => options.log.error(`scheduler: tick failed: ${describeError(error)}`))
      .finally(() => {
        running = undefined;
      });
  };
  const task = cron.schedule(options.cron, fire, { timezone: options.timezone, noOverlap: true, name: "paperboy-tick" });
  fire(); // catch up at once after a restart instead of waiting for the next slot
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
