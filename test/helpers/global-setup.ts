// Starts one embedded PostgreSQL for the whole test run and migrates a template
// database; each test file clones it into a fresh database (test/helpers/database.ts).
import type { TestProject } from "vitest/node";
import { startTestServer } from "./test-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseServerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startTestServer();
  project.provide("databaseServerUrl", server.serverUrl);
  return () => server.stop();
}
