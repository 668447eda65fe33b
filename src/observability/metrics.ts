/**
 * The auth counters `GET /metrics` publishes (METRICS=on), in a registry of
 * this server's own so that several servers embedded in one process each
 * count their own. GraphQL latency histograms come from yoga's Prometheus
 * plugin on the same registry (app.ts).
 */
import { Counter, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  /** A first-factor sign-in (or sign-up) ended: `outcome` is the result's __typename. */
  signIn(method: string, outcome: string): void;
  /** A second factor was tried while signing in. */
  mfaChallenge(factor: string, outcome: string): void;
  lockout(scope: string): void;
  refresh(outcome: string): void;
  tokenTheftDetected(): void;
  message(channel: "email" | "sms", result: "sent" | "failed"): void;
}

export function createMetrics(options: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers: [registry] });
  const signIns = counter("auth_sign_ins_total", "First-factor sign-ins and sign-ups by method and outcome (__typename).", ["method", "outcome"]);
  const mfa = counter("auth_mfa_challenges_total", "Second factors tried while signing in, by factor and outcome (__typename).", ["factor", "outcome"]);
  const lockouts = counter("auth_lockouts_total", "Accounts or addresses locked after too many failures.", ["scope"]);
  const refreshes = counter("auth_refreshes_total", "Refresh-token rotations by outcome (__typename).", ["outcome"]);
  const thefts = counter("auth_token_theft_detections_total", "Refresh tokens replayed after rotation: the session was ended.", []);
  const messages = counter("auth_messages_total", "Emails and text messages handed to the mailer or SMS gateway, by result.", ["channel", "result"]);
  return {
    registry,
    signIn: (method, outcome) => signIns.inc({ method, outcome }),
    mfaChallenge: (factor, outcome) => mfa.inc({ factor, outcome }),
    lockout: (scope) => lockouts.inc({ scope }),
    refresh: (outcome) => refreshes.inc({ outcome }),
    tokenTheftDetected: () => thefts.inc(),
    message: (channel, result) => messages.inc({ channel, result }),
  };
}
