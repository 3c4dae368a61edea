// Parsers for the CLI's arguments and options. A value that breaks its rule is
// bad usage: commander prints the problem and the CLI exits 2 before doing anything.
import { InvalidArgumentError, type Command } from "commander";
import { parseDay } from "../days.ts";
import { describeError } from "../errors.ts";
import { parseTopic } from "../matching/topics.ts";
import { ARXIV_CATEGORIES } from "../sources/configured.ts";
import { normaliseEmail } from "../subscriptions/store.ts";

/** A YYYY-MM-DD option. */
export function day(value: string): string {
  try {
    return parseDay(value);
  } catch (error) {
    throw new InvalidArgumentError(describeError(error));
  }
}

/** A whole-number option from `min` to `max`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const rule = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isInteger(number) || number < min || number > max) throw new InvalidArgumentError(`expected ${rule}`);
    return number;
  };
}

export const positiveInt = wholeNumber(1);

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** arXiv categories joined by "+" (cs.CL+cs.LG), as a list. */
export function arxivCategories(value: string): string[] {
  if (!ARXIV_CATEGORIES.test(value)) throw new InvalidArgumentError("expected arXiv categories joined by +, e.g. cs.CL+cs.LG");
  return value.split("+");
}

/** A repeatable --topic, checked as it is read (the text is kept as typed). */
export function collectTopic(value: string, previous: string[]): string[] {
  try {
    parseTopic(value);
  } catch (error) {
    throw new InvalidArgumentError(describeError(error));
  }
  return collect(value, previous);
}

/**
 * A preAction hook: every `<email>` argument must be one address, or the command
 * stops as bad usage. (One hook instead of a parser on each command's argument.)
 */
export function checkEmailArguments(_program: Command, command: Command): void {
  command.registeredArguments.forEach((argument, index) => {
    if (argument.name() !== "email") return;
    try {
      normaliseEmail(String(command.processedArgs[index] ?? ""));
    } catch (error) {
      command.error(`error: ${describeError(error)}`);
    }
  });
}
