/** The slice of pino the alert components use, so tests can pass a silent or capturing logger. */
export interface AlertLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
