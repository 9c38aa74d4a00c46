#!/bin/sh
# Set Steward up on Debian 12 (as root) and run it.
#   sh scripts/setup.sh demo   install, build the sample share, scan it into SQLite, print the register
#   sh scripts/setup.sh test   install with test tools, start what the tests need, run the whole suite
set -eu
MODE=${1:-demo}
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${STEWARD_VENV:-$HERE/.venv}
STATE=${STEWARD_STATE:-/var/lib/steward}
cd "$HERE"

STARTED=$(date +%s)
# One line per stage, with the seconds since the start, so long steps show where they are.
say() { printf '\n== [%4ss] %s\n' "$(( $(date +%s) - STARTED ))" "$*"; }

debian_packages() {
    need=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need="$need $pkg"
    done
    if [ -n "$need" ]; then
        say "installing Debian packages:$need"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
    fi
}

python_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the Python environment in $VENV"
        python3 -m venv "$VENV"
    fi
    say "installing Steward and its dependencies (log: $VENV/install.log)"
    pip="$VENV/bin/pip install --disable-pip-version-check"
    if ! { $pip -U pip && $pip -e "$HERE$1" \
            && $pip --require-hashes -r "$HERE/requirements/model.txt"; } > "$VENV/install.log" 2>&1; then
        tail -n 30 "$VENV/install.log" >&2
        echo "setup: installing Python packages failed; the whole log is in $VENV/install.log" >&2
        exit 1
    fi
    "$VENV/bin/steward" --version
}

# tesseract-ocr (with its orientation model) and tesseract-ocr-eng: OCR of scanned PDFs and images.
BASE_PACKAGES="python3 python3-venv python3-dev gcc libmagic1 catdoc tzdata tesseract-ocr tesseract-ocr-eng"

case "$MODE" in
demo)
    say "Steward writes its store, the sample share and the demo config to $STATE (set STEWARD_STATE to change)"
    debian_packages $BASE_PACKAGES
    python_env ""
    st="$VENV/bin/steward"
    cfg="$STATE/demo-config.yaml"
    mkdir -p "$STATE"
    if [ ! -d "$STATE/sample-share" ]; then
        say "writing the sample council share to $STATE/sample-share and its HR export to $STATE/hr-directory.csv"
        "$st" sample-share "$STATE/sample-share" --staff-csv "$STATE/hr-directory.csv"
    fi
    # The council's old list of Information Asset Owners still names Planning's former head, who has left.
    leaver=$(awk -F, '$8 == "leaver" {print $1; exit}' "$STATE/hr-directory.csv")
    cat > "$cfg" <<YAML
database: sqlite:///$STATE/steward.db
sources:
  - id: sample
    kind: local
    root: $STATE/sample-share
directory:
  kind: csv
  path: $STATE/hr-directory.csv
owners:
  declared:
    - path: "sample:Planning"
      owner: $leaver
YAML
    say "scanning the sample share (owners are inferred from who owns the files, the HR export and departments)"
    "$st" scan --config "$cfg"
    person() { awk -F, -v t="$1" -v c="$2" '$6 == t {print $c; exit}' "$STATE/hr-directory.csv"; }
    for service in Finance HR; do
        "$st" owner set "sample:$service" "$(person "Head of $service" 1)" --by "Information Governance board" \
            --reason "confirmed at the board meeting" --config "$cfg" >/dev/null
    done
    say "the information asset register (Finance and HR confirmed at the board; Planning's declared owner has left)"
    "$st" assets --config "$cfg"
    siro_pw=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')
    iao_pw=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')
    demo_account() {  # name, e-mail, role, password: added, or given a new password when it exists
        if "$st" user list --config "$cfg" | grep -q "^$1 "; then
            printf '%s\n' "$4" | "$st" user passwd "$1" --password-stdin --config "$cfg" >/dev/null
        else
            printf '%s\n' "$4" | "$st" user add "$1" --email "$2" --role "$3" --password-stdin --config "$cfg" >/dev/null
        fi
    }
    demo_account siro "$(person "Director of Resources" 4)" siro "$siro_pw"
    demo_account iao "$(person "Head of Adult Social Care" 4)" iao "$iao_pw"
    cat <<TEXT

Worth trying next (STEWARD_CONFIG points every command at the demo):
  export STEWARD_CONFIG=$cfg PATH=$VENV/bin:\$PATH
  steward findings                              # findings grouped by rule and asset, with counts
  steward asset "sample:Adult Social Care"      # one asset: owner and evidence, personal data, access
  steward risks                                 # the information risk register, highest score first
  steward report --out $STATE/report.html       # the SIRO's summary, one self-contained HTML file
  steward serve                                 # the web review at http://127.0.0.1:8080/
      sign in as "siro" (the SIRO) with password $siro_pw
      or as "iao" (Head of Adult Social Care) with password $iao_pw
      (demo passwords, set again on every run of the demo)
TEXT
    ;;
test)
    # Samba with Windows ACLs in xattrs (SMB crawler tests) and OpenLDAP (directory tests); the test
    # fixtures start their own private servers on 127.0.0.1, so nothing is started here. Chromium renders
    # the SIRO's HTML report headless in the report tests. The OCR tests render scans in DejaVu fonts.
    debian_packages $BASE_PACKAGES postgresql samba smbclient samba-vfs-modules slapd ldap-utils chromium \
        fonts-dejavu-core
    python_env "[test]"
    if [ -z "${STEWARD_TEST_PG_URL:-}" ]; then
        if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null \
            && psql -h 127.0.0.1 -U postgres -d test -c "select 1" >/dev/null 2>&1; then
            export STEWARD_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
        else
            say "starting a private PostgreSQL for the tests"
            export STEWARD_TEST_PG_URL=$(sh "$HERE/scripts/pg_up.sh")
        fi
    fi
    if [ -z "${STEWARD_TEST_MARIA_URL:-}" ]; then
        if ! mariadb -h 127.0.0.1 -P 3306 -u root -e "select 1" >/dev/null 2>&1; then
            say "starting MariaDB for the tests"
            debian_packages mariadb-server mariadb-client
            if ! mariadb -h 127.0.0.1 -P 3306 -u root -e "select 1" >/dev/null 2>&1; then
                service mariadb start >/dev/null 2>&1 || (mysqld_safe --bind-address=127.0.0.1 >/dev/null 2>&1 &)
                for i in $(seq 1 60); do
                    mariadb -u root -e "select 1" >/dev/null 2>&1 && break
                    sleep 0.5
                done
                # The tests connect over TCP as root with no password, as on the project's machines.
                mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
                    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
                    GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
                    CREATE DATABASE IF NOT EXISTS test;"
            fi
        fi
        export STEWARD_TEST_MARIA_URL="mysql+pymysql://root@127.0.0.1:3306/test"
    fi
    say "checks: ruff, ruff format, import graph, mypy"
    "$VENV/bin/ruff" check scanner inventory tests benchmarks scripts
    "$VENV/bin/ruff" format --check scanner inventory tests benchmarks scripts
    "$VENV/bin/python" scripts/check_imports.py
    "$VENV/bin/mypy"
    say "tests"
    "$VENV/bin/python" -m pytest -p no:cacheprovider  # one line per test file, with its progress
    ;;
*)
    echo "usage: sh scripts/setup.sh demo|test" >&2
    exit 2
    ;;
esac
