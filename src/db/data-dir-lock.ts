/**
 * One process per embedded data folder. PGlite keeps the database in the
 * process's memory and writes the folder back as it goes: two processes on one
 * folder each serve their own copy and overwrite each other's writes. So the
 * folder holds a lock file naming its process, as PostgreSQL's postmaster.pid
 * does; a lock whose process is gone (killed, crashed) is taken over.
 */
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { unlinkSync } from "node:fs";
import path from "node:path";
import { StartupError } from "../config.js";

const LOCK_FILE = "auth.pid";

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  // Written aside, then linked into place: the link either appears whole or fails, so no reader sees a half-written PID.
  const draft = path.join(dataDir, `${LOCK_FILE}.${process.pid}`);
  await writeFile(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      }
      const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new StartupError(
          `the data folder ${dataDir} is in use by another process (PID ${holder}): two processes on one embedded database lose each other's data. ` +
            "Stop that process, give this one its own DATA_DIR, or run replicas on PostgreSQL (DATABASE_URL).",
        );
      }
      await unlink(lockPath).catch(() => {}); // left by a process that is gone
    }
  } finally {
    await unlink(draft).catch(() => {});
  }
  const releaseOnExit = () => {
    try {
      unlinkSync(lockPath);
    } catch {}
  };
  process.once("exit", releaseOnExit);
  return {
    async release() {
      process.off("exit", releaseOnExit);
      await unlink(lockPath).catch(() => {});
    },
  };
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true; // this process opened the folder already
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}
