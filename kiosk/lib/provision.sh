# shellcheck shell=bash
# Shared steps of provision-station and provision-processor. Every change to the
# system goes through one of the functions below, which print what they do and,
# with --dry-run, only print it. Every step checks first and does nothing when the
# system already is as wanted, so running a script twice changes nothing.

# shellcheck disable=SC2034 # constants for the scripts that source this file
DRY_RUN=${DRY_RUN:-0}
INSTALL_ROOT=/opt/stop-motion
APP_DIR=$INSTALL_ROOT/app
# shellcheck disable=SC2034
ETC_DIR=/etc/stop-motion
# shellcheck disable=SC2034
SERVICE_USER=stopmotion
# shellcheck disable=SC2034
TRACKS_DIR=/var/lib/stop-motion/tracks

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# act CMD ARGS...: run a command that changes the system (or print it).
act() {
  local line
  line=$(printf '%q ' "$@")
  printf '  + %s\n' "${line% }"
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  "$@"
}

need_root() {
  if [[ $DRY_RUN != 1 && $(id -u) != 0 ]]; then die "run as root (or with --dry-run to see what would be done)"; fi
}

have() { command -v "$1" >/dev/null 2>&1; }

# The package manager family: apt (Debian, Raspberry Pi OS) or pacman (Arch Linux ARM).
package_manager() {
  if have apt-get; then echo apt; elif have pacman; then echo pacman; else echo none; fi
}

# pick_package NAME...: the first name the package manager knows (names differ
# between Debian and Raspberry Pi OS, e.g. chromium / chromium-browser).
pick_package() {
  local name policy
  for name in "$@"; do
    if package_installed "$name"; then
      echo "$name"
      return
    fi
  done
  for name in "$@"; do
    case $(package_manager) in
      apt)
        # Captured first: "| grep -q" would end apt-cache early and fail under pipefail.
        policy=$(apt-cache policy "$name" 2>/dev/null || true)
        if [[ $policy =~ Candidate:\ [^\(] ]]; then echo "$name"; return; fi
        ;;
      pacman) if pacman -Si "$name" >/dev/null 2>&1; then echo "$name"; return; fi ;;
    esac
  done
  printf '    none of %s is available here; skipped\n' "$*" >&2
}

package_installed() {
  case $(package_manager) in
    apt) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ;;
    pacman) pacman -Q "$1" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# Debian package names as Arch Linux ARM calls them (empty: not packaged there).
arch_name() {
  case $1 in
    gpiod) echo libgpiod ;;
    g++) echo gcc ;;
    python3) echo python ;;
    openssh-server) echo openssh ;;
    fonts-dejavu-core) echo ttf-dejavu ;;
    fonts-noto-core) echo noto-fonts ;;
    redis-server) echo valkey ;;
    x11-xserver-utils) echo xorg-xset ;;
    chromium-browser) echo chromium ;;
    rpicam-apps | libcamera-apps) echo '' ;;
    *) echo "$1" ;;
  esac
}

# install_packages NAME...: installs those not installed yet (Debian names).
install_packages() {
  local -a wanted=() missing=()
  local name
  for name in "$@"; do
    [[ $(package_manager) == pacman ]] && name=$(arch_name "$name")
    [[ -n $name ]] || continue
    wanted+=("$name")
    package_installed "$name" || missing+=("$name")
  done
  if ((${#missing[@]} == 0)); then
    note "packages already installed: ${wanted[*]}"
    return
  fi
  note "packages wanted: ${wanted[*]}; missing: ${missing[*]}"
  case $(package_manager) in
    apt)
      act apt-get update -q
      act env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
      ;;
    pacman) act pacman -S --needed --noconfirm "${missing[@]}" ;;
    *) die "no supported package manager (apt-get or pacman); install by hand: ${missing[*]}" ;;
  esac
}

# Node.js 22 or newer (the current LTS line; 20 is past its end of life and the AWS SDK
# needs 22 from 2027): Debian 12 ships 18 and Debian 13 ships 20, so take NodeSource's
# repository there.
ensure_node() {
  local major=0
  if have node; then major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); fi
  if ((major >= 22)); then
    note "node $(node --version) is new enough"
    return
  fi
  case $(package_manager) in
    apt)
      install_packages ca-certificates curl gnupg
      if [[ ! -f /etc/apt/sources.list.d/nodesource.list ]]; then
        act install -d -m 0755 /etc/apt/keyrings
        say "adding the NodeSource apt repository (Node.js 22)"
        printf '  + %s\n' 'curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg'
        if [[ $DRY_RUN != 1 ]]; then
          curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
        fi
        put_file /etc/apt/sources.list.d/nodesource.list 0644 root:root \
          'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_22.x nodistro main'
      fi
      act apt-get update -q
      act env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs
      ;;
    pacman) install_packages nodejs npm ;;
    *) die "install Node.js 22 or newer by hand" ;;
  esac
}

# put_file PATH MODE OWNER:GROUP CONTENT: writes the file when its content, mode
# or owner differ. The content is never printed (it may be a secret).
put_file() {
  local path=$1 mode=$2 owner=$3 content=$4
  if [[ -f $path && $(<"$path") == "$content" ]] && [[ $(stat -c '%a %U:%G' "$path") == "${mode#0} $owner" ]]; then
    note "unchanged $path"
    return
  fi
  printf '  + write %s (mode %s, %s)\n' "$path" "$mode" "$owner"
  [[ $DRY_RUN == 1 ]] && return 0
  # Only create a missing parent: an existing one keeps its (maybe stricter) mode.
  [[ -d $(dirname "$path") ]] || install -d -m 0755 "$(dirname "$path")"
  local tmp
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  sync "$tmp"
  mv -f "$tmp" "$path"
}

# copy_file SRC DEST MODE: installs a file from this repository.
copy_file() {
  put_file "$2" "$3" root:root "$(<"$1")"
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  local path=$1 mode=$2 owner=$3
  if [[ -d $path && $(stat -c '%a %U:%G' "$path") == "${mode#0} $owner" ]]; then
    note "unchanged $path/"
    return
  fi
  act install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
}

# ensure_system_user NAME HOME: a locked system account for the services.
ensure_system_user() {
  local name=$1 home=$2
  if id "$name" >/dev/null 2>&1; then
    note "user $name exists"
  else
    act useradd --system --user-group --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$name"
  fi
}

# ensure_groups USER GROUP...: adds USER to those of the groups that exist here.
ensure_groups() {
  local user=$1 group
  shift
  for group in "$@"; do
    getent group "$group" >/dev/null || continue
    if id -nG "$user" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then continue; fi
    act usermod -a -G "$group" "$user"
  done
}

# random_secret: 32 random bytes, base64url, on stdout (only ever into files).
random_secret() {
  head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# env_value FILE KEY: the current value of KEY in an env file, or nothing.
env_value() {
  [[ -f $1 ]] || return 0
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# env_value_ok KEY VALUE: whether systemd's EnvironmentFile reads VALUE back as
# given, on its own line. A newline or any other control character would start
# another setting (EVENT_NAME="x<newline>STATUS_TOKEN=mine"); a backslash is an
# escape or joins the next line; a leading quote is taken off. Says why on stderr.
env_value_ok() {
  local key=$1 value=$2 why=''
  if [[ $value == *[[:cntrl:]]* || $value =~ [$'\x01'-$'\x1f'$'\x7f'] ]]; then
    why='a newline or another control character'
  elif [[ $value == *\\* ]]; then
    why='a backslash'
  elif [[ $value == \"* || $value == \'* ]]; then
    why='a leading quote'
  fi
  [[ -z $why ]] && return 0
  printf 'error: %s: the value has %s, which would change what the env file says; refused\n' "$key" "$why" >&2
  return 1
}

# render_env EXISTING_FILE TEMPLATE_TEXT KEY=VALUE...: the template with each
# given key set; keys the operator changed by hand in the existing file keep the
# hand-made value unless given here.
render_env() {
  local existing=$1 text=$2 pair key value line out=''
  shift 2
  local -A given=()
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    [[ $key =~ ^[A-Z][A-Z0-9_]*$ && $pair == *=* ]] || die "not a KEY=value setting: ${pair:0:40}"
    env_value_ok "$key" "$value" || exit 1
    given[$key]=$value
  done
  while IFS= read -r line; do
    if [[ $line =~ ^#?\ ?([A-Z][A-Z0-9_]*)=(.*)$ ]]; then
      key=${BASH_REMATCH[1]}
      if [[ -v given[$key] ]]; then
        value=${given[$key]}
        if [[ -n $value ]]; then line="$key=$value"; fi
      elif [[ -f $existing ]] && grep -q "^$key=" "$existing"; then
        line="$key=$(env_value "$existing" "$key")"
      fi
    fi
    out+=$line$'\n'
  done <<<"$text"
  printf '%s' "${out%$'\n'}"
}

# unit_exists NAME: whether a unit file is installed (works without a running systemd).
unit_exists() {
  local dir
  for dir in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
    [[ -e $dir/$1 ]] && return 0
  done
  return 1
}

# systemd steps; skipped (with a note) where systemd is not running, e.g. in a chroot image build.
systemd_running() { [[ -d /run/systemd/system ]]; }

enable_unit() {
  local unit=$1
  if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    note "$unit already enabled"
  else
    act systemctl enable "$unit"
  fi
  if systemd_running; then act systemctl restart "$unit"; else note "systemd not running: $unit starts at next boot"; fi
}

daemon_reload() {
  if systemd_running; then act systemctl daemon-reload; else note "systemd not running: no daemon-reload"; fi
}

# install_app SOURCE_DIR: builds the monorepo once in $INSTALL_ROOT/build, then
# installs a release with production dependencies only and points
# $APP_DIR at it. A release that is already installed is not built again.
install_app() {
  local source=$1 release_id release
  if [[ -d $source/.git ]] && have git; then
    release_id=$(git -C "$source" rev-parse --short=12 HEAD 2>/dev/null || true)
    if [[ -n $(git -C "$source" status --porcelain 2>/dev/null) ]]; then
      # Uncommitted changes: name the release after them, so the same tree is not built twice.
      release_id="$release_id-dirty-$({ git -C "$source" diff HEAD; git -C "$source" ls-files --others --exclude-standard; } | sha256sum | cut -c1-8)"
    fi
  fi
  [[ -n ${release_id:-} ]] || release_id=$(cat "$source/package-lock.json" "$source"/*/package.json | sha256sum | cut -c1-12)
  release=$INSTALL_ROOT/releases/$release_id
  if [[ -d $release && $(readlink "$APP_DIR" 2>/dev/null) == "$release" ]]; then
    note "app release $release_id already installed at $APP_DIR"
    return
  fi
  say "building the app (release $release_id)"
  ensure_dir "$INSTALL_ROOT" 0755 root:root
  ensure_dir "$INSTALL_ROOT/releases" 0755 root:root
  act rsync -a --delete --exclude .git --exclude node_modules --exclude dist --exclude 'data/' \
    --exclude test-results "$source/" "$INSTALL_ROOT/build/"
  act npm --prefix "$INSTALL_ROOT/build" ci --no-audit --no-fund
  act npm --prefix "$INSTALL_ROOT/build" run build
  say "installing release $release_id with production dependencies only"
  act rsync -a --delete --exclude node_modules "$INSTALL_ROOT/build/" "$release.new/"
  act npm --prefix "$release.new" ci --omit=dev --no-audit --no-fund
  act rm -rf "$release"
  act mv "$release.new" "$release"
  # Switch atomically: a new symlink renamed over the old one.
  act ln -sfn "$release" "$APP_DIR.new"
  act mv -T "$APP_DIR.new" "$APP_DIR"
  # Keep the three newest releases to go back to.
  if [[ $DRY_RUN != 1 ]]; then
    local old
    while IFS= read -r old; do
      [[ $old == "$release" ]] || act rm -rf "$old"
    done < <(find "$INSTALL_ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '*.new' -printf '%T@ %p\n' |
      sort -rn | cut -d' ' -f2- | tail -n +4)
  fi
}

# default_tracks CHECKOUT: the project's own rendered set, when the checkout has built it.
default_tracks() {
  local dir=$1/station-server/dist/default-tracks
  if [[ -f $dir/tracks.json ]]; then echo "$dir"; fi
}

# check_tracks DIR CHECKOUT: checks a tracks folder with the station's own loader (the
# installed app's build, or the checkout's sources where it has its dev dependencies).
check_tracks() {
  local dir=$1 checkout=$2
  if [[ -f $APP_DIR/station-server/dist/src/tracks-check.js ]]; then
    node "$APP_DIR/station-server/dist/src/tracks-check.js" "$dir"
  elif [[ -e $checkout/node_modules/tsx ]]; then
    (cd "$checkout/station-server" && node --conditions=source --import tsx src/tracks-check.ts "$dir")
  else
    note "cannot check $dir here (no built app); the station checks it when it loads"
  fi
}

# sync_tracks SOURCE DEST CHECKOUT: the event's soundtracks (a folder with tracks.json;
# a local path or anything rsync reads, e.g. host:dir over SSH) copied to DEST. They are
# fetched to a staging folder and checked first: a bad folder stops the script here and
# the tracks already in DEST stay as they were.
sync_tracks() {
  local from=${1%/}/ dest=$2 checkout=$3 stage changes
  stage=$(dirname "$dest")/.$(basename "$dest").incoming
  ensure_dir "$(dirname "$dest")" 0755 root:root
  local opts=(-rlpt --delete '--chmod=D755,F644' '--exclude=.*' --timeout=60)
  # Itemized changes against DEST; none means it already holds these tracks.
  changes=$(rsync "${opts[@]}" --dry-run --itemize-changes "$from" "$dest/" 2>&1) || die "cannot read the tracks at $1: ${changes:0:300}"
  if [[ -d $dest && -z $changes ]]; then
    note "tracks in $dest are up to date"
    return
  fi
  if [[ $DRY_RUN == 1 ]]; then
    printf '  + %s\n' "rsync ${opts[*]} $from $stage/ (checked, then into $dest/)"
    return
  fi
  act rsync "${opts[@]}" "$from" "$stage/"
  check_tracks "$stage" "$checkout" || die "the tracks at $1 are not usable (see above); $dest is unchanged"
  act rsync -rlpt --delete "$stage/" "$dest/"
  act rm -rf "$stage"
}

# provision_tracks SOURCE NO_TRACKS CHECKOUT: the soundtracks step of both scripts. Sets
# tracks_dir to the folder the services read (empty: no music).
provision_tracks() {
  local source=$1 none=$2 checkout=$3
  tracks_dir=''
  if [[ $none == 1 ]]; then
    note "none (--no-tracks): no music, the soundtrack picker is skipped"
    return
  fi
  source=${source:-$(default_tracks "$checkout")}
  if [[ -n $source ]]; then
    sync_tracks "$source" "$TRACKS_DIR" "$checkout"
    tracks_dir=$TRACKS_DIR
  elif [[ -f $TRACKS_DIR/tracks.json ]]; then
    note "keeping the tracks in $TRACKS_DIR"
    tracks_dir=$TRACKS_DIR
  else
    note "no tracks (build the default set with npm run tracks -w @stop-motion/station-server, or give --tracks): no music"
  fi
}

# write_invisible_cursor FILE: a 1x1 fully transparent cursor in Xcursor format.
write_invisible_cursor() {
  # "Xcur", header 16 bytes, version 1.0, 1 entry; table: image type 0xfffd0002,
  # nominal size 1, at byte 28; image: header 36, type, size 1, version 1, 1x1,
  # hotspot 0,0, delay 0, one ARGB pixel 0 (transparent). Little-endian.
  local bytes='Xcur\x10\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00'
  bytes+='\x02\x00\xfd\xff\x01\x00\x00\x00\x1c\x00\x00\x00'
  bytes+='\x24\x00\x00\x00\x02\x00\xfd\xff\x01\x00\x00\x00\x01\x00\x00\x00'
  bytes+='\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  bytes+='\x00\x00\x00\x00\x00\x00\x00\x00'
  printf '%b' "$bytes" >"$1"
}

# Persistent journal with a size cap, so logs survive reboots but never fill the card.
configure_journald() {
  local max=$1
  put_file /etc/systemd/journald.conf.d/50-stop-motion.conf 0644 root:root "$(
    cat <<CONF
# Stop Motion: keep logs across reboots (to see what happened before a power cut),
# within a fixed size.
[Journal]
Storage=persistent
SystemMaxUse=$max
SystemKeepFree=1G
MaxFileSec=1week
CONF
  )"
  ensure_dir /var/log/journal 2755 root:systemd-journal
  if systemd_running; then act systemctl restart systemd-journald; fi
}

# install_sshd ADMIN_USER LISTEN_ADDRESS... : the key-only drop-in (only ADMIN_USER may
# log in), checked with sshd -t before reload.
install_sshd() {
  local -a args=(--allow-user "$1")
  shift
  local addr
  for addr in "$@"; do args+=(--listen "$addr"); done
  local text
  text=$("$KIOSK_DIR/bin/stop-motion-render" sshd "${args[@]}")
  # sshd must be able to bind the VPN address before the tunnel is up.
  put_file /etc/sysctl.d/60-stop-motion.conf 0644 root:root \
    $'# Stop Motion: let sshd listen on LAN/VPN addresses before their interface is up.\nnet.ipv4.ip_nonlocal_bind = 1\nnet.ipv6.ip_nonlocal_bind = 1'
  if systemd_running; then act sysctl -q -p /etc/sysctl.d/60-stop-motion.conf; fi
  put_file /etc/ssh/sshd_config.d/00-stop-motion.conf 0644 root:root "$text"
  act sshd -t
  # Debian calls it ssh.service, Arch sshd.service.
  local unit=ssh.service
  if ! unit_exists ssh.service && unit_exists sshd.service; then unit=sshd.service; fi
  enable_unit "$unit"
}

# authorized_key_present USER: whether USER can log in with a key at all.
authorized_key_present() {
  local home
  home=$(getent passwd "$1" | cut -d: -f6)
  [[ -n $home && -s $home/.ssh/authorized_keys ]]
}

install_ssh_key() {
  local user=$1 keyfile=$2 home
  home=$(getent passwd "$user" | cut -d: -f6)
  [[ -n $home ]] || die "no such user: $user"
  local key
  key=$(<"$keyfile")
  [[ $key =~ ^(ssh-|ecdsa-|sk-) ]] || die "$keyfile does not look like an SSH public key"
  ensure_dir "$home/.ssh" 0700 "$user:$(id -gn "$user")"
  if [[ -f $home/.ssh/authorized_keys ]] && grep -qxF "$key" "$home/.ssh/authorized_keys"; then
    note "key already authorized for $user"
    return
  fi
  local current
  current=$(cat "$home/.ssh/authorized_keys" 2>/dev/null || true)
  put_file "$home/.ssh/authorized_keys" 0600 "$user:$(id -gn "$user")" "${current:+$current$'\n'}$key"
}

install_firewall() {
  local text
  text=$("$KIOSK_DIR/bin/stop-motion-render" nftables "$@")
  put_file /etc/nftables.conf 0755 root:root "$text"
  act nft -c -f /etc/nftables.conf
  enable_unit nftables.service
}
