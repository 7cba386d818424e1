/**
 * `mkdir -p` without `fs.mkdir({ recursive: true })`, which loops forever on some pseudo file
 * systems (`Collection.create("/proc/nonexistent/x")` hung: procfs answers ENOENT for the parent
 * it just failed to create). Here each missing ancestor is created once, top down, so every call
 * ends after at most one `mkdir` per path component.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/**
 * Creates `dir` and its missing parents; an existing directory is fine.
 *
 * @throws the `fs` error of the first component that cannot be created (ENOENT, EACCES, ENOTDIR, …)
 */
export async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    const st = await stat(cur).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (st !== undefined) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${cur}'`), { code: "ENOTDIR", path: cur });
      break;
    }
    missing.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}
