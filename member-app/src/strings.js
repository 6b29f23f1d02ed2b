// The app's words in its three languages. They live in halqa's catalogues
// (src/halqa/i18n/<lang>.member.json, ids "app.*" and the pairing page's "member.look.*"), where the
// catalogue tests check that every language has every id; the build (build.mjs) embeds those ids in
// the bundle, as the app runs offline.
import CATALOGUES from "halqa:catalogues";

/** The ids under ``prefix`` of one catalogue, without the prefix. */
const under = (catalogue, prefix) => Object.fromEntries(
  Object.entries(catalogue).filter(([id]) => id.startsWith(prefix)).map(([id, text]) => [id.slice(prefix.length), text]));

export const STRINGS = Object.fromEntries(Object.entries(CATALOGUES).map(([lang, cat]) => [lang, under(cat, "app.")]));
/** The discreet names chosen at pairing (the title, and the name on the home screen). */
export const LOOKS = Object.fromEntries(["notes", "shopping", "recipes"].map((look) => [
  look, Object.fromEntries(Object.entries(CATALOGUES).map(([lang, cat]) => [lang, cat[`member.look.${look}`]]))]));
export const LANGUAGES = ["ar", "ckb", "en"];
export const RTL = new Set(["ar", "ckb"]);
