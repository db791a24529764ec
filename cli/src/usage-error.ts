/** A mistake in how the command was called (exit code 2), not a failure while running. */
export class UsageError extends Error {}
