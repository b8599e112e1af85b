d=$(mktemp -d) && virt-copy-out -c test://$PWD/guests.xml -d demo /etc/hostname "$d" && cat "$d/hostname"; rm -rf "$d"
