// IndexedDB, the plain API (no wrapper library): two object stores.
//   "s": settings (this phone's signing key, the circle's age recipient, the lists, the clock offset)
//   "o": the outbox: {id, ct, t}: an entry's id, its age ciphertext, and when it was recorded
// Nothing here names the household, and nothing here opens a sealed entry.
const DB = "n";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore("s");
      req.result.createObjectStore("o", { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(store, mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = fn(tx.objectStore(store));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const getSetting = (key) => run("s", "readonly", (s) => s.get(key));
export const setSetting = (key, value) => run("s", "readwrite", (s) => s.put(value, key));
export const addEntry = (entry) => run("o", "readwrite", (s) => s.add(entry));
export const entries = () => run("o", "readonly", (s) => s.getAll());
export const dropEntries = (ids) => run("o", "readwrite", (s) => { for (const id of ids) s.delete(id); });

/** Erase everything the app stored: the database, its caches, and local storage. */
export async function eraseAll() {
  await new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(DB);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
  if (self.caches) for (const name of await caches.keys()) await caches.delete(name);
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be disabled */ }
}
