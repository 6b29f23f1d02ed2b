#!/usr/bin/env bash
# Debian packages halqa's features and tests need (called by `make setup`, so `make demo` and
# `make test` work on a fresh machine):
#   age                  reference client that must open halqa's sync bundles
#   postgresql           the allies' hub store (tests start a throwaway server)
#   chromium             headless browser for the web journeys (never downloaded by playwright)
#   poppler-utils        pdftotext/pdftoppm: checks Arabic shaping in posters
#   fonts-noto-core      Noto Naskh/Sans/Kufi Arabic for pages, charts and PDFs
#   fonts-hosny-amiri    Amiri, a second Arabic face for print
#   nodejs (+ npm)         build the member app (member-app/, esbuild) and run axe-core in its tests
#   libnss3-tools        certutil: tests make Chromium trust the vault's local CA
# Without root or apt-get it only reports what is missing: the tests that need a package skip.
set -euo pipefail
PACKAGES=(age postgresql chromium chromium-driver poppler-utils fonts-noto-core fonts-hosny-amiri nodejs libnss3-tools)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# npm comes with some nodejs builds (NodeSource); Debian ships it as its own package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "note: missing Debian packages (tests that need them will skip): ${missing[*]}" >&2
fi
