// Turning a folder drop (DataTransfer items → directory entries) or a folder pick into File objects
// with their paths below what the user chose.
import type { LocalFile } from '../worker/protocol';

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        next(); // readEntries returns at most ~100 entries per call
      }, reject);
    next();
  });
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: LocalFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file: await entryFile(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const c of children) await walk(c, out);
  }
}

/** Must be called synchronously inside the drop handler (entries are only readable during the event). */
export function filesFromDrop(dt: DataTransfer): Promise<LocalFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  return (async () => {
    const out: LocalFile[] = loose.map((file) => ({ path: file.name, file }));
    for (const e of entries) await walk(e, out);
    return out;
  })();
}

/** Files from <input type=file webkitdirectory>: webkitRelativePath is "Folder/sub/name". */
export function filesFromInput(list: FileList | null): LocalFile[] {
  return Array.from(list ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}
