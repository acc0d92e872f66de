# Sourced by scripts/setup and scripts/newest: what they need to know of this Debian machine.

debian_uri() { # the URI of the machine's own Debian archive (never a hard-coded host)
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v security | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security |
      head -n 1 || true)
  fi
  printf '%s' "$uri"
}
