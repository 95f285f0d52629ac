#!/usr/bin/env bash
# Builds iterbench's database images without any container registry: a
# Debian bookworm root filesystem with the server installed by debootstrap,
# turned into an image by docker import.
#
#   images/build.sh postgres [IMAGE]   (default IMAGE: iterbench/postgres)
#   images/build.sh mariadb  [IMAGE]   (default IMAGE: iterbench/mariadb)
#
# An image that already exists is left alone (delete it to rebuild). Needs
# root, debootstrap and Debian's package mirror (DEBIAN_MIRROR overrides it).
set -euo pipefail

kind=${1:?usage: images/build.sh postgres|mariadb [IMAGE]}
image=${2:-iterbench/$kind}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

case $kind in
postgres) packages=postgresql-15 ;;
mariadb) packages=mariadb-server,galera-4,rsync,iproute2,procps ;; # galera-4, rsync (state transfer), ss and ps (its scripts): --topology galera
*) echo "unknown image kind $kind (want postgres or mariadb)" >&2; exit 2 ;;
esac

if docker image inspect "$image" >/dev/null 2>&1; then
	echo "$image exists; skipping (docker rmi $image to rebuild)"
	exit 0
fi
if ! command -v debootstrap >/dev/null; then
	echo "debootstrap is not installed (apt-get install debootstrap)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "building $image needs root (debootstrap and file ownership)" >&2
	exit 1
fi

start=$(date +%s)
work=$(mktemp -d /var/tmp/iterbench-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "debootstrap bookworm with $packages ..."
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 20 "$work/debootstrap.log" >&2
	exit 1
}
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
	"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/man/*
install -m 0755 "$here/$kind/entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case $kind in
postgres)
	# The package made a cluster of its own; the entrypoint makes ours.
	rm -rf "$rootfs/var/lib/postgresql/15" "$rootfs/etc/postgresql/15"
	mkdir -p "$rootfs/var/lib/postgresql/data" "$rootfs/var/run/postgresql"
	chroot "$rootfs" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
	changes=(
		--change "ENV PATH=/usr/lib/postgresql/15/bin:$path"
		--change "ENV PGDATA=/var/lib/postgresql/data"
		--change "USER postgres"
		--change "EXPOSE 5432"
		--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
		--change 'CMD ["postgres"]'
	)
	;;
mariadb)
	rm -rf "$rootfs"/var/lib/mysql/*
	mkdir -p "$rootfs/run/mysqld"
	chroot "$rootfs" chown -R mysql:mysql /var/lib/mysql /run/mysqld
	changes=(
		--change "ENV PATH=$path"
		--change "USER mysql"
		--change "EXPOSE 3306"
		--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
		--change 'CMD ["mariadbd"]'
	)
	;;
esac

echo "docker import $image ..."
tar -C "$rootfs" --numeric-owner -c . | docker import "${changes[@]}" - "$image" >/dev/null
echo "built $image in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
