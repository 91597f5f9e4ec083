/** A JSON response from the engine. */
export interface EngineReply {
  readonly status: number;
  readonly body: unknown;
}

/** The few engine calls the proxy makes on its own behalf. */
export interface EngineApi {
  /** Sends a request without a body and parses the JSON response. */
  readonly requestJson: (method: string, path: string) => Promise<EngineReply>;
}
