// The time a pretty log line starts with ("14:02:11 "), for tests that compare lines whole.
export const CLOCK = /^\d\d:\d\d:\d\d /;
