// The member app: pair once, then record offline into a sealed, write-only outbox.
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { LANGUAGES, LOOKS, RTL, STRINGS } from "./strings.js";
import { addEntry, dropEntries, entries, eraseAll, getSetting, setSetting } from "./store.js";
import { b64, newId, newKeys, outboxFile, seal, warmUp } from "./seal.js";

const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => Array.from(document.querySelectorAll(sel));
let lang = "ar";
let look = "notes";
let circle = null; // {recipients, themes, places, circle, offset, synced}
let keys = null;

const tr = (id) => (STRINGS[lang] || STRINGS.ar)[id] || STRINGS.en[id] || id;

function status(text) { $("[data-status]").textContent = text; }

function applyLanguage() {
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
  for (const el of $$("[data-t]")) el.textContent = tr(el.dataset.t);
  document.title = $("[data-t=title]").textContent = LOOKS[look][lang];
  $("link[rel=manifest]").href = `/m/manifest.webmanifest?look=${look}&lang=${lang}`;
  $("link[rel=icon]").href = `/m/icon.svg?look=${look}`;
  $("[data-field=lang]").value = lang;
  if (circle) fillLists();
}

function fillLists() {
  const fill = (select, items) => {
    select.replaceChildren(...items.map((item) => {
      const o = document.createElement("option");
      o.value = item.id;
      o.textContent = item[lang] || item.en || item.id;
      return o;
    }));
  };
  fill($("[data-field=theme]"), circle.themes);
  fill($("[data-field=place]"), circle.places);
}

function show(name) {
  for (const s of $$("[data-screen]")) s.hidden = s.dataset.screen !== name;
  for (const b of $$("[data-needs=circle]")) b.hidden = !(circle && circle.circle);
}

async function refreshCount() {
  const list = await entries();
  const counter = $("[data-outbox-count]");
  counter.dataset.outboxCount = String(list.length); // for scripts: the count as a plain number
  counter.textContent = new Intl.NumberFormat(lang === "en" ? "en" : lang + "-u-nu-arab").format(list.length);
  const first = list.reduce((m, e) => Math.min(m, e.t), Infinity);
  $("[data-outbox-since]").textContent = list.length
    ? `${tr("since")} ${new Date(first).toLocaleString(lang === "ckb" ? "ckb-IQ" : lang === "ar" ? "ar-IQ" : "en-GB", { dateStyle: "short", timeStyle: "short" })}`
    : tr("none");
}

/** Seal one entry at once and keep only its ciphertext. */
async function record(type, fields = {}) {
  const at = Date.now();
  const body = { id: newId(), type, at, offset: circle.offset, synced_at: circle.synced, ...fields };
  const t0 = performance.now();
  const ct = await seal(body, keys, circle.recipients);
  performance.measure("seal", { start: t0 }); // read by benchmarks/bench_member_app.py
  await addEntry({ id: body.id, ct, t: at });
  status(tr("sealed"));
  await refreshCount();
  deliver(); // try at once; nothing is lost if the server is out of reach
}

/** The outbox in parts the server takes in one request (its cap is 32 MiB; base64 adds a third). */
function batches(list, limit = 16 * 1024 * 1024) {
  const out = [[]];
  let size = 0;
  for (const e of list) {
    if (size + e.ct.length > limit && out[out.length - 1].length) { out.push([]); size = 0; }
    out[out.length - 1].push(e);
    size += e.ct.length;
  }
  return out;
}

/** Send the outbox; drop what the vault says it holds; re-measure the clock offset. */
async function deliver() {
  // In time order: an outage's end must not reach the vault before its start.
  const list = (await entries()).sort((a, b) => a.t - b.t);
  let held = 0;
  for (const part of batches(list)) {
    const sent = Date.now();
    let answer;
    try {
      const res = await fetch("/api/m/outbox", { method: "POST", headers: { "content-type": "application/json" },
        body: outboxFile(part), credentials: "omit", cache: "no-store" });
      if (!res.ok) {
        const err = await res.json().catch(() => ({}));
        if (res.status < 500) status(`${tr("refused")}: ${err.message || res.status}`);
        return false;
      }
      answer = await res.json();
    } catch {
      if (list.length) status(tr("offline"));
      return false;
    }
    const back = Date.now();
    circle.offset = Math.round(answer.server_ms - (sent + back) / 2);
    circle.synced = back;
    await setSetting("circle", circle);
    await dropEntries(answer.held || []);
    held += (answer.held || []).length;
  }
  if (list.length) status(`${tr("sent")}: ${held}`);
  await refreshCount();
  return true;
}

async function shareOutbox() {
  const list = await entries();
  const name = `notes-${new Date().toISOString().slice(0, 10)}.json`;
  const file = new File([outboxFile(list)], name, { type: "application/octet-stream" });
  if (navigator.canShare && navigator.canShare({ files: [file] })) {
    try { await navigator.share({ files: [file] }); return; } catch { /* cancelled: offer a download */ }
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(file);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function pair(code) {
  status(tr("pairing"));
  keys = await newKeys();
  // A contact needs an age recipient; nothing is ever sealed to a phone, so its identity is dropped.
  const throwaway = await identityToRecipient(await generateX25519Identity());
  const sent = Date.now();
  const res = await fetch("/api/m/pair", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, key: keys.pk, recipient: throwaway }), credentials: "omit", cache: "no-store" });
  const answer = await res.json();
  if (!res.ok) { status(answer.message || String(res.status)); return; }
  const back = Date.now();
  circle = { recipients: answer.recipients, themes: answer.themes, places: answer.places, circle: answer.circle,
    offset: Math.round(answer.server_ms - (sent + back) / 2), synced: back };
  await setSetting("keys", keys);
  await setSetting("circle", circle);
  history.replaceState(null, "", "/m/");
  status(tr("paired"));
  show("home");
  fillLists();
  await refreshCount();
}

function value(sel) { return $(sel).value; }

// A voice note lives only in memory until its grievance is sealed (then it is dropped).
let recorder = null;
let voice = null;

async function toggleVoice(button) {
  if (recorder) { recorder.stop(); return; }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (ev) => chunks.push(ev.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
    voice = { data: b64(new Uint8Array(await blob.arrayBuffer())), mime: blob.type.split(";")[0] };
    recorder = null;
    button.textContent = tr("voice");
    button.setAttribute("aria-pressed", "false");
    $("[data-voice-state]").textContent = tr("voiceKept");
  };
  recorder.start();
  button.textContent = tr("voiceStop");
  button.setAttribute("aria-pressed", "true");
}

const ACTIONS = {
  "power-off": () => record("power-off"),
  "power-on": () => record("power-on"),
  "add-grievance": async () => {
    const extra = voice ? { voice: voice.data, voice_mime: voice.mime } : {};
    voice = null;
    await record("grievance", { theme: value("[data-field=theme]"), place: value("[data-field=place]"),
      text: value("[data-field=text]"), ...extra });
    $("[data-field=text]").value = "";
    $("[data-voice-state]").textContent = "";
    show("home");
  },
  "add-water": async () => {
    await record("water", { no_water: $("[data-field=no_water]").checked,
      litres_bought: Number(value("[data-field=litres_bought]") || 0), spent: value("[data-field=spent]") || "0" });
    show("home");
  },
  // for the circle the phone was paired with: a check-in without one counts for no circle's care
  "add-checkin": async () => {
    await record("checkin", { score: Number(value("[data-field=score]")), circle: circle.circle });
    show("home");
  },
  "record-voice": (button) => toggleVoice(button).catch(() => status(tr("voice") + ": —")),
  sync: () => deliver(),
  "share-outbox": () => shareOutbox(),
  erase: async () => {
    if (!confirm(tr("eraseConfirm"))) return;
    await eraseAll();
    if (navigator.serviceWorker) for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    keys = circle = null;
    status(tr("erased"));
    show("unpaired");
  },
  open: (button) => show(button.dataset.target),
};

/** Where the browser offers it: a charger that stops while the app is open asks (never records). */
async function watchCharger() {
  if (!navigator.getBattery) return;
  const battery = await navigator.getBattery();
  battery.addEventListener("chargingchange", () => { if (!battery.charging && circle) status(tr("chargerStopped")); });
}

async function start() {
  const params = new URLSearchParams(location.search || location.hash.slice(1));
  lang = (await getSetting("lang")) || "ar";
  look = params.get("look") in LOOKS ? params.get("look") : (await getSetting("look")) || "notes";
  await setSetting("look", look);
  keys = await getSetting("keys");
  circle = await getSetting("circle");
  applyLanguage();
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("[data-action]");
    if (button && (keys || button.dataset.action === "erase")) ACTIONS[button.dataset.action](button);
  });
  $("[data-field=lang]").addEventListener("change", async (ev) => {
    lang = LANGUAGES.includes(ev.target.value) ? ev.target.value : "ar";
    await setSetting("lang", lang);
    applyLanguage();
    refreshCount();
  });
  const code = params.get("code");
  if (code && !keys) await pair(code);
  else if (keys && circle) { show("home"); fillLists(); await refreshCount(); deliver(); }
  else show("unpaired");
  window.addEventListener("online", () => deliver());
  if (navigator.serviceWorker) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
  watchCharger();
  document.body.dataset.ready = "1";
  performance.mark("ready");
  if (circle) setTimeout(() => warmUp(circle.recipients).then(() => performance.mark("warm")), 0);
}

start();
