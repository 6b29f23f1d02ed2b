// Sealing one entry: sign its body with this phone's Ed25519 key (noble), then encrypt the signed
// envelope to the circle's age recipient (typage). The phone keeps only the ciphertext: it holds
// no age identity, so it cannot open what it sealed.
import { Encrypter } from "age-encryption";
import { ed25519 } from "@noble/curves/ed25519.js";

const CONTEXT = "halqa-outbox-entry-v1\n";
const enc = new TextEncoder();

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** This phone's signing keys: a non-extractable WebCrypto Ed25519 key where the browser has one
 * (its secret can be used but never read out of storage), else noble's (older browsers). */
export async function newKeys() {
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const pk = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return { key: pair.privateKey, pk: hex(pk) };
  } catch {
    const sk = ed25519.utils.randomSecretKey();
    return { sk, pk: hex(ed25519.getPublicKey(sk)) };
  }
}

async function sign(data, keys) {
  if (keys.key) return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, keys.key, data));
  return ed25519.sign(data, keys.sk);
}

export function newId() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** The age ciphertext of ``body`` (an object), signed by ``keys`` and sealed to ``recipients``. */
export async function seal(body, keys, recipients) {
  const text = JSON.stringify(body);
  const sig = await sign(enc.encode(CONTEXT + text), keys);
  const envelope = JSON.stringify({ v: 1, key: keys.pk, sig: hex(sig), body: text });
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return await e.encrypt(envelope);
}

export function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Run the sealing code once on nothing (a throwaway key and recipient, output discarded) so the
 * browser has compiled it before the first real tap. */
export async function warmUp(recipients) {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  await e.encrypt("{}");
  await sign(enc.encode(CONTEXT), await newKeys());
}

/** The outbox file: what ``halqa sync import`` and ``POST /api/m/outbox`` take. */
export function outboxFile(list) {
  return JSON.stringify({ format: "halqa-outbox", version: 1, entries: list.map((e) => ({ id: e.id, age: b64(e.ct) })) });
}
