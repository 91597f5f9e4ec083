/** Switches the inactivity timeout of each side on or off. */
export interface IdleTimerSwitches {
  readonly client: (armed: boolean) => void;
  readonly upstream: (armed: boolean) => void;
}

/** Events of a forwarded exchange that change whom the proxy waits on. */
export interface IdleTimers {
  /** The client has sent its whole request body. */
  readonly requestEnded: () => void;
  /** The ExApp is (or no longer is) slow to take the request body. */
  readonly uploadBlocked: (blocked: boolean) => void;
  /** The client is (or no longer is) slow to read the response. */
  readonly downloadBlocked: (blocked: boolean) => void;
  /** The response is complete, so both timeouts stop. */
  readonly responseEnded: () => void;
}

/**
 * Runs only the inactivity timeout of the side the exchange waits on,
 * as HAProxy does. TIMEOUT_CLIENT runs while the request body is still
 * coming or while the client is slow to read the response.
 * TIMEOUT_SERVER runs while the ExApp owes the response or is slow to
 * read the body. A slow
 * ExApp is therefore never cut by the client timeout, and a client that
 * sends nothing more is never blamed on the ExApp.
 */
export function createIdleTimers(switches: IdleTimerSwitches): IdleTimers {
  let requestDone = false;
  let responseDone = false;
  let uploadIsBlocked = false;
  let downloadIsBlocked = false;
  let clientArmed: boolean | undefined;
  let upstreamArmed: boolean | undefined;

  function update() {
    const open = !responseDone;
    const client = open &&
      ((!requestDone && !uploadIsBlocked) || downloadIsBlocked);
    const upstream = open && !downloadIsBlocked &&
      (requestDone || uploadIsBlocked);
    if (client !== clientArmed) switches.client(client);
    if (upstream !== upstreamArmed) switches.upstream(upstream);
    clientArmed = client;
    upstreamArmed = upstream;
  }

  update();
  return {
    requestEnded: () => {
      requestDone = true;
      update();
    },
    uploadBlocked: (blocked) => {
      uploadIsBlocked = blocked;
      update();
    },
    downloadBlocked: (blocked) => {
      downloadIsBlocked = blocked;
      update();
    },
    responseEnded: () => {
      responseDone = true;
      update();
    },
  };
}
