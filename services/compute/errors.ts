/**
 * A refusal of the compute service, by the status and message Nova's API gives it. Each API renders
 * it in its own format (the Compute API as Nova's fault body).
 */
export class ComputeFault extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ComputeFault(400, message);
export const notFound = (message: string) => new ComputeFault(404, message);
export const forbidden = (rule: string) => new ComputeFault(403, `Policy doesn't allow ${rule} to be performed.`);

/** Nova's own 401 from a controller (HTTPUnauthorized), rendered as a fault, unlike keystonemiddleware's. */
export class ControllerUnauthorized extends ComputeFault {
  constructor(message: string) {
    super(401, message);
  }
}
