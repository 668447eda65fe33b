/**
 * The server as an operator runs it: `npm start`'s command (the compiled
 * `dist/main.js`, built by test/global-setup.ts, with its Node flags and
 * preload) on plain Node, in a process of its own, configured by the
 * environment.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * `npm start`'s command as a POSIX shell runs it, `[NAME=value ...] node [flags]
 * dist/main.js`: its text, the environment it sets and the arguments it gives node.
 * (Also how `npm run bench` starts the server.)
 */
export function startCommand(): { text: string; env: Record<string, string>; args: string[] } {
  const text = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start;
  const words = text.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? "")) {
    const word = words.shift()!;
    env[word.slice(0, word.indexOf("="))] = word.slice(word.indexOf("=") + 1);
  }
  const [program, ...args] = words;
  if (program !== "node") throw new Error(`the start script is not a node command: ${text}`);
  return { text, env, args };
}

const START = startCommand();

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Waits until the log holds `text` or the process exits; false when it exited first or never said it. */
  waitFor(text: string): Promise<boolean>;
  kill(signal?: NodeJS.Signals): void;
}

export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

export function startServerProcess(env: Record<string, string>, port = randomPort()): ServerProcess {
  const child = spawn(process.execPath, START.args, {
    env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: "info", ...START.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    port,
    child,
    output: () => output,
    exited,
    async waitFor(text) {
      // Generous: a loaded CI machine compiles the TypeScript and migrates first.
      for (let i = 0; i < 600 && !output.includes(text) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 200));
      return output.includes(text);
    },
    kill(signal = "SIGKILL") {
      if (child.exitCode === null) child.kill(signal);
    },
  };
}
