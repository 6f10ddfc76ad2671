# Sourced by .ci/run: a private MariaDB server on 127.0.0.1:33306 (from Debian's packages, installed when
# missing), in a fresh data directory; exports MYSQL_URL for the MySQL tests and stops the server on exit.
# Without root or apt-get, or when the server does not start, MYSQL_URL stays unset and the tests say so.
printf '\n== %s\n' "MariaDB: a private server on 127.0.0.1:33306"
mysql_stop() { :; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  command -v mariadbd >/dev/null ||
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null) ||
    echo "could not install mariadb-server; MySQL tests will be skipped"
  if command -v mariadbd >/dev/null; then
    myroot=$(mktemp -d /tmp/gatehouse-mysql.XXXXXX)
    chown mysql:mysql "$myroot"
    if mariadb-install-db --user=mysql --datadir="$myroot/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$myroot/install.log" 2>&1; then
      mariadbd --user=mysql --datadir="$myroot/data" --socket="$myroot/sock" --pid-file="$myroot/pid" \
        --bind-address=127.0.0.1 --port=33306 --skip-name-resolve --innodb-flush-log-at-trx-commit=0 \
        --log-error="$myroot/log" &
      for _ in $(seq 1 60); do
        mariadb --socket="$myroot/sock" -uroot -e "CREATE DATABASE IF NOT EXISTS gatehouse;
          CREATE USER IF NOT EXISTS gatehouse@'127.0.0.1' IDENTIFIED BY 'gatehouse';
          GRANT ALL ON gatehouse.* TO gatehouse@'127.0.0.1'" 2>/dev/null && break
        sleep 0.5
      done
      if mariadb --socket="$myroot/sock" -uroot -e "SELECT 1" >/dev/null 2>&1; then
        export MYSQL_URL=mysql://gatehouse:gatehouse@127.0.0.1:33306/gatehouse
        mysql_stop() { kill "$(cat "$myroot/pid")" 2>/dev/null; }
        echo "MYSQL_URL=$MYSQL_URL"
      else
        echo "MariaDB did not start; MySQL tests will be skipped"
      fi
    else
      echo "mariadb-install-db failed; MySQL tests will be skipped"
    fi
  fi
fi
trap "mysql_stop; $(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")" EXIT
